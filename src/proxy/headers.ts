/**
 * Header rules of the data plane, shared by plain requests and WebSocket upgrades. Works on
 * `rawHeaders` arrays so names keep the client's spelling, repeated headers stay repeated and no
 * object is built per request.
 */
import type { IncomingMessage } from 'node:http';
import type { ProxyRoute } from './route-table.ts';

/** RFC 7230 §6.1 hop-by-hop headers (plus the legacy Proxy-Connection), lower case. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers the proxy sets itself; a client's values are dropped so services can trust them. */
const FORWARDED = new Set(['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix']);

/** Lower-cased header names listed in Connection (they are hop-by-hop too). */
function connectionTokens(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const tokens = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

/**
 * Berth's own credentials must not reach services (a service could replay them against Berth's
 * API): the server supplies how to recognise them.
 */
export interface CredentialFilter {
  /** The Cookie header without Berth's session cookie (undefined: drop the header). */
  cookie?: (value: string) => string | undefined;
  /** True when the request's Authorization header carries a Berth token (it is then dropped). */
  dropAuthorization?: (req: IncomingMessage) => boolean;
}

/** What the server decides about the headers services get, for plain requests and WebSockets alike. */
export interface HeaderPolicy {
  credentials?: CredentialFilter | undefined;
  /**
   * Behind a reverse proxy that terminates TLS (an Ingress): keep the X-Forwarded-Proto and
   * X-Forwarded-Host it sets, so services build https URLs. Off by default: a client's own values
   * are replaced.
   */
  trustForwardedHeaders?: boolean | undefined;
}

export interface UpstreamHeaderOptions extends HeaderPolicy {
  route: ProxyRoute;
  /** Keep `Connection: Upgrade` and `Upgrade` (WebSocket handshakes). */
  upgrade: boolean;
}

/**
 * The header list sent upstream: the client's headers minus hop-by-hop ones and `Expect` (Node's
 * server has already answered `100 Continue`), Host untouched (Jupyter and others check it), plus
 * X-Forwarded-For (appended), -Proto, -Host (a trusted reverse proxy's, or this hop's) and, when the
 * prefix is stripped, -Prefix.
 */
export function upstreamHeaders(req: IncomingMessage, options: UpstreamHeaderOptions): string[] {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let trustedProto: string | undefined;
  let trustedHost: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'host') host = value;
    if (options.trustForwardedHeaders) {
      // The first value is what the outermost proxy saw.
      if (lower === 'x-forwarded-proto') trustedProto ??= value.split(',')[0]!.trim();
      if (lower === 'x-forwarded-host') trustedHost ??= value.split(',')[0]!.trim();
    }
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || FORWARDED.has(lower) || lower === 'expect' || named?.has(lower)) continue;
    out.push(name, value);
  }
  const remote = req.socket.remoteAddress ?? '';
  if (options.credentials) filterCredentials(req, out, options.credentials);
  out.push('X-Forwarded-For', forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`);
  out.push('X-Forwarded-Proto', trustedProto || ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'));
  const forwardedHost = trustedHost || host;
  if (forwardedHost !== undefined) out.push('X-Forwarded-Host', forwardedHost);
  if (options.route.stripPrefix) out.push('X-Forwarded-Prefix', options.route.basePath);
  // Request bodies are re-framed by the upstream client (chunked when the length is unknown).
  if (options.upgrade) out.push('Connection', 'Upgrade', 'Upgrade', req.headers.upgrade ?? 'websocket');
  return out;
}

function filterCredentials(req: IncomingMessage, headers: string[], filter: CredentialFilter): void {
  const dropAuthorization = filter.dropAuthorization?.(req) ?? false;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const lower = headers[i]!.toLowerCase();
    if (lower === 'authorization' && dropAuthorization) headers.splice(i, 2);
    else if (lower === 'cookie' && filter.cookie) {
      const kept = filter.cookie(headers[i + 1]!);
      if (kept === undefined) headers.splice(i, 2);
      else headers[i + 1] = kept;
    }
  }
}

/**
 * The response header list sent to the client: the upstream's headers minus hop-by-hop ones, and
 * with `Location` moved under the prefix when the prefix was stripped (an app that redirects to
 * `/login` means its own /login, not Berth's).
 */
export function downstreamHeaders(raw: string[], route: ProxyRoute, requestHost: string | undefined): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') named = connectionTokens(raw[i + 1]);
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    let value = raw[i + 1]!;
    if (lower === 'set-cookie' && setsBerthCookie(value)) continue;
    if (lower === 'location' && route.stripPrefix) value = locationUnderPrefix(value, route.basePath, requestHost);
    out.push(name, value);
  }
  return out;
}

/**
 * Services share Berth's origin: a service that could set `berth_session` (or any `berth_` cookie)
 * could sign the user out or fix a session id of its choosing. Such Set-Cookie headers are dropped;
 * cookie names are case-sensitive, but the check is not, and it sees through the `__Host-`/`__Secure-`
 * prefixes. Per-service origins are the full fix (docs/security.md).
 */
export const BERTH_COOKIE_PREFIX = 'berth_';

export function setsBerthCookie(setCookie: string): boolean {
  const eq = setCookie.indexOf('=');
  const name = (eq < 0 ? setCookie.split(';')[0]! : setCookie.slice(0, eq)).trim().toLowerCase().replace(/^__(host|secure)-/, '');
  return name.startsWith(BERTH_COOKIE_PREFIX);
}

/**
 * A request's Cookie header without Berth's cookies (`berth_session`, the service hosts'
 * `berth_service`, any `berth_*`), for the proxy to forward: a service has no business holding
 * them. Undefined when nothing is left.
 */
export function withoutBerthCookieValues(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !setsBerthCookie(part));
  return kept.length === 0 ? undefined : kept.join('; ');
}

/** A raw header list minus the Set-Cookie headers for Berth's cookies (see setsBerthCookie). */
export function withoutBerthCookies(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'set-cookie' && setsBerthCookie(raw[i + 1]!)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** `/x` -> `<prefix>/x`; `http://<same host>/x` -> `http://<same host><prefix>/x`; others unchanged. */
export function locationUnderPrefix(location: string, basePath: string, requestHost: string | undefined): string {
  if (location.startsWith('/') && !location.startsWith('//')) {
    return hasPrefix(location, basePath) ? location : basePath + location;
  }
  if (requestHost === undefined) return location;
  for (const scheme of ['http://', 'https://']) {
    const origin = scheme + requestHost;
    if (location.startsWith(origin)) {
      const path = location.slice(origin.length);
      if (path === '' || path.startsWith('/')) {
        return hasPrefix(path, basePath) ? location : origin + basePath + (path === '' ? '/' : path);
      }
    }
  }
  return location;
}

/** True when `path` is `basePath` itself or lies under it (`basePath/…`, `basePath?…`). */
export function hasPrefix(path: string, basePath: string): boolean {
  if (!path.startsWith(basePath)) return false;
  const next = path.charCodeAt(basePath.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}
