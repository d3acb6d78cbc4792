/**
 * The decision the `/api/*` request hook makes, as a pure function: public route, signed in,
 * confined to one session, and CSRF for browsers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError } from './errors.ts';
import { scopedSession, type Principal } from './principal.ts';
import { sameSecret } from './secrets.ts';

export const CSRF_HEADER = 'x-berth-csrf';

/**
 * Reachable without a principal. Matched on the route Fastify chose, not on the raw URL. The OpenAPI
 * document is public like health: it describes the routes (what the source says), holds no state.
 */
const PUBLIC_ROUTES = new Set([
  'GET /api/health',
  'HEAD /api/health',
  'GET /api/openapi.json',
  'HEAD /api/openapi.json',
  'POST /api/auth/login',
  'POST /api/auth/logout',
]);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface GuardInput {
  method: string;
  /** request.url: path and query as sent. */
  url: string;
  /** The route pattern Fastify matched (`/api/sessions/:sid`), undefined for a 404. */
  routeUrl: string | undefined;
  headers: IncomingHttpHeaders;
  principal: Principal | null;
  /** The web session's CSRF secret when the principal came from the cookie. */
  csrfSecret: string | undefined;
}

export function isApiRequest(url: string, routeUrl: string | undefined): boolean {
  const path = pathOf(url);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape is not a reason to skip the check: keep the raw path.
  }
  return [path, decoded, routeUrl ?? ''].some((p) => p === '/api' || p.startsWith('/api/'));
}

export function isPublicRoute(method: string, routeUrl: string | undefined): boolean {
  return routeUrl !== undefined && PUBLIC_ROUTES.has(`${method} ${routeUrl}`);
}

/** Null when the request may proceed, else the error to answer with. */
export function guardApiRequest(input: GuardInput): AuthError | null {
  if (!isApiRequest(input.url, input.routeUrl) || isPublicRoute(input.method, input.routeUrl)) return null;
  const { principal } = input;
  if (!principal) return new AuthError('BERTH_AUTH_REQUIRED');
  if (principal.via === 'disabled') return null;
  const own = scopedSession(principal);
  if (own !== null && !sessionReadAllowed(own, input.method, input.url)) {
    return new AuthError('BERTH_AUTH_FORBIDDEN', { own, method: input.method, path: pathOf(input.url) });
  }
  if (principal.via === 'cookie' && STATE_CHANGING.has(input.method)) return checkCsrf(input);
  return null;
}

function sessionReadAllowed(sessionUuid: string, method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = pathOf(url);
  const base = `/api/sessions/${sessionUuid}`;
  if (path !== base && !path.startsWith(`${base}/`)) return false;
  // Escapes and dot segments could make the router see another path than this check did.
  return !/%|\/\.\.?(\/|$)|\/\//.test(path.slice(base.length));
}

/**
 * Browsers attach the cookie by themselves, so a cookie alone does not prove the page meant to
 * send the request: it must echo the session's CSRF token (which other sites cannot read) and,
 * when the browser says where it came from, come from this host.
 */
function checkCsrf(input: GuardInput): AuthError | null {
  const sent = input.headers[CSRF_HEADER];
  const token = Array.isArray(sent) ? sent[0] : sent;
  if (!token || !input.csrfSecret || !sameSecret(token, input.csrfSecret)) {
    return new AuthError('BERTH_AUTH_CSRF', { missing: 'request', method: input.method, path: pathOf(input.url) });
  }
  return checkSameOrigin(input.headers, `${input.method} ${pathOf(input.url)}`);
}

/**
 * Refuses a request whose Origin (or, without one, Referer) names another host than Host. A reverse
 * proxy that rewrites Host usually sends the original as X-Forwarded-Host, which is accepted too:
 * a cross-site page cannot add that header (it would need a CORS preflight Berth never grants).
 */
export function checkSameOrigin(headers: IncomingHttpHeaders, what: string): AuthError | null {
  const claimed = headers.origin ?? headers.referer;
  if (claimed === undefined) return null;
  const forwarded = headers['x-forwarded-host'];
  const hosts = [headers.host, (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()]
    .map(normaliseHost)
    .filter((host): host is string => host !== null);
  let from: string | null;
  try {
    from = claimed === 'null' ? null : withoutDefaultPort(new URL(claimed).host);
  } catch {
    from = null;
  }
  if (from !== null && hosts.includes(from)) return null;
  return new AuthError('BERTH_AUTH_CSRF', { what, origin: claimed, host: headers.host });
}

function normaliseHost(host: string | undefined): string | null {
  if (!host) return null;
  try {
    return withoutDefaultPort(new URL(`http://${host}`).host);
  } catch {
    return null;
  }
}

/** `host:443` in a Host header and `https://host` in an Origin name the same place. */
function withoutDefaultPort(host: string): string {
  return host.replace(/:(80|443)$/, '');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
