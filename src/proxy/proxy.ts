/**
 * The data plane: `createProxy` answers every request and upgrade whose first path segment is a
 * service (`/service-…`, `/pbp-service-…`) from the route table, and returns false for anything
 * else so the server in front of it can handle it. The server and `berth proxy` use this same code.
 *
 * With service origins (`origins`), every request whose Host is under the service domain is
 * answered here too, and only ever by that host's service; a browser on Berth's own origin asking
 * for a path URL is sent to the service's origin instead of being served there.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyRoute, RouteTable } from './route-table.ts';
import { serviceSegment } from './route-table.ts';
import { forwardRequest } from './forward.ts';
import { hasPrefix, type CredentialFilter, type HeaderPolicy } from './headers.ts';
import { classifyHost, HANDSHAKE_PATH, type HostKind } from './service-hosts.ts';
import { UpstreamPools } from './pools.ts';
import { tunnelUpgrade } from './websocket.ts';
import {
  badTargetPage,
  failedPage,
  isBrowserNavigation,
  notFoundPage,
  sendPage,
  sendRedirect,
  startingPage,
  unauthenticatedPage,
  unreachablePage,
  writeRawPage,
  writeRawResponse,
  type Page,
} from './pages.ts';

export type Authorize = (req: IncomingMessage, route: ProxyRoute) => 'allow' | 'unauthenticated';

/** What the server supplies for services on their own origin (docs/security.md: Services on their own origin). */
export interface ServiceOrigins {
  /** Hosts `<port>-<name>.<session_uuid>.<domain>` are service origins (normalised: lower case, no trailing dot). */
  domain: string;
  /** On a service host: may this request reach the route (its hand-shake cookie, or a Bearer token)? Only asked for protected routes. */
  authorize(req: IncomingMessage, route: ProxyRoute): boolean;
  /** Where a browser on Berth's origin goes for `path` on the route's origin: through the hand-shake when the route is protected. */
  entry(req: IncomingMessage, route: ProxyRoute, path: string): string;
  /** Redeems `HANDSHAKE_PATH?code=…&next=…` on a service host: where to go next and the cookie to set, or the page to show. */
  redeem(req: IncomingMessage, route: ProxyRoute, query: URLSearchParams): { location: string; cookie?: string } | { page: Page };
  /** Berth's own origin (`http://127.0.0.1:8765`) for a request that arrived on a service host. */
  berthOrigin(req: IncomingMessage): string;
}

export interface ProxyOptions {
  table: RouteTable;
  /** Asked only for routes with `requiresAuthentication`; without it every request is allowed. */
  authorize?: Authorize;
  /** Where browsers are sent to log in (`?next=` carries the original URL). Default `/login`. */
  loginPath?: string;
  /** Called when `authorize` throws (the request is then treated as unauthenticated). */
  onError?: (error: unknown, req: IncomingMessage) => void;
  /** Keeps Berth's own cookie and token from reaching services. */
  credentials?: CredentialFilter;
  /** Keep a TLS-terminating reverse proxy's X-Forwarded-Proto/-Host (see HeaderPolicy). */
  trustForwardedHeaders?: boolean;
  /** Serve each service on its own origin; without it services share the origin of whoever runs the proxy. */
  origins?: ServiceOrigins;
}

export interface Proxy {
  /** True when the request was a service path and has been answered (or is being forwarded). */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** True when the upgrade was a service path; the socket is then owned by the proxy. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes pooled upstream connections and every open WebSocket tunnel. */
  close(): Promise<void>;
}

type Decision =
  | { kind: 'page'; page: Page; json?: boolean }
  | { kind: 'redirect'; status: 302 | 307 | 308; location: string; cookie?: string }
  | { kind: 'forward'; route: ProxyRoute; path: string };

/**
 * An origin-form target an upstream accepts: printable ASCII without `#` (RFC 9112 §3.2; a fragment is
 * never sent by browsers, and undici refuses it, which used to surface as a misleading 502).
 */
const VALID_TARGET = /^\/[\x21-\x22\x24-\x7e]*$/;

export function isValidRequestTarget(target: string): boolean {
  return VALID_TARGET.test(target);
}

/**
 * A request carrying `Authorization: Bearer` (the SDK, steps, scripts) has no ambient authority and
 * is never a navigation a browser renders: it may keep being served on the path URL of Berth's origin.
 */
function carriesBearer(req: IncomingMessage): boolean {
  return /^bearer[ \t]+\S/i.test(req.headers.authorization ?? '');
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** On its own host a service is at the root: no Location rewriting and no X-Forwarded-Prefix. */
function onOwnHost(route: ProxyRoute): ProxyRoute {
  return route.stripPrefix ? { ...route, stripPrefix: false } : route;
}

/** The path URL on Berth's origin that leads back to `target` on the route's own host. */
function pathOnBerth(route: ProxyRoute, target: string): string {
  if (route.stripPrefix) return route.basePath + target;
  return hasPrefix(target, route.basePath) ? target : `${route.basePath}/`;
}

export function createProxy(options: ProxyOptions): Proxy {
  const { table, authorize, onError, origins } = options;
  const loginPath = options.loginPath ?? '/login';
  const pools = new UpstreamPools();
  const tunnels = new Set<() => void>();
  const headerPolicy: HeaderPolicy = { credentials: options.credentials, trustForwardedHeaders: options.trustForwardedHeaders };

  function isAllowed(req: IncomingMessage, route: ProxyRoute): boolean {
    if (!route.requiresAuthentication || !authorize) return true;
    try {
      return authorize(req, route) === 'allow';
    } catch (error) {
      onError?.(error, req);
      return false;
    }
  }

  /** What to do with a service path: the rules every request and upgrade go through, in order. */
  function decide(req: IncomingMessage, target: string, upgrade: boolean): Decision {
    if (!VALID_TARGET.test(target)) return { kind: 'page', page: badTargetPage(target) };
    const match = table.match(target);
    if (!match) {
      // Only list what this client could open anyway: session names are not public.
      const visible = table.list().filter((route) => isAllowed(req, route));
      return { kind: 'page', page: notFoundPage(target, visible) };
    }
    const { route, rest } = match;
    if (!isAllowed(req, route)) {
      if (!upgrade && isBrowserNavigation(req)) return { kind: 'redirect', status: 302, location: `${loginPath}?next=${encodeURIComponent(target)}` };
      return { kind: 'page', page: unauthenticatedPage(route, loginPath), json: true };
    }
    const bare = rest === '' || rest.charCodeAt(0) === 63; /* ? */
    // Whatever a browser could render here would run with Berth's origin: send it to the service's own.
    // (A WebSocket is never rendered, and its client does not follow redirects.)
    if (origins && !upgrade && !carriesBearer(req)) {
      const path = route.stripPrefix ? (bare ? `/${rest}` : rest) : bare ? `${route.basePath}/${rest}` : target;
      const status = req.method === 'GET' || req.method === 'HEAD' ? 302 : 307;
      return { kind: 'redirect', status, location: origins.entry(req, route, path) };
    }
    // A WebSocket client does not follow redirects: its bare prefix is the service's root.
    if (bare && !upgrade) {
      const status = req.method === 'GET' || req.method === 'HEAD' ? 302 : 308;
      return { kind: 'redirect', status, location: `${route.basePath}/${rest}` };
    }
    if (route.state === 'starting') return { kind: 'page', page: startingPage(route) };
    if (route.state === 'failed') return { kind: 'page', page: failedPage(route) };
    if (!route.target) return { kind: 'page', page: unreachablePage(route, 'no address recorded for a ready service') };
    const path = route.stripPrefix ? (bare ? `/${rest}` : rest) : target;
    return { kind: 'forward', route, path };
  }

  /**
   * A request on a host under the service domain: only ever that host's service (or Berth's pages
   * about it), never the API, the UI or the sign-in page.
   */
  function decideOnServiceHost(req: IncomingMessage, target: string, host: HostKind, upgrade: boolean, own: ServiceOrigins): Decision {
    if (!VALID_TARGET.test(target)) return { kind: 'page', page: badTargetPage(target) };
    const route = host.kind === 'service' ? table.byHost(host.key) : undefined;
    if (!route) return { kind: 'page', page: notFoundPage(target, []) };
    if (!upgrade && pathOf(target) === HANDSHAKE_PATH) {
      const q = target.indexOf('?');
      const result = own.redeem(req, route, new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
      if ('page' in result) return { kind: 'page', page: result.page };
      return { kind: 'redirect', status: 302, location: result.location, ...(result.cookie === undefined ? {} : { cookie: result.cookie }) };
    }
    let allowed = !route.requiresAuthentication;
    if (!allowed) {
      try {
        allowed = own.authorize(req, route);
      } catch (error) {
        onError?.(error, req);
      }
    }
    if (!allowed) {
      // Back to the path URL on Berth's origin: it signs the browser in if needed and hands it a fresh code.
      if (!upgrade && isBrowserNavigation(req)) return { kind: 'redirect', status: 302, location: own.berthOrigin(req) + pathOnBerth(route, target) };
      return { kind: 'page', page: unauthenticatedPage(route, `${own.berthOrigin(req)}${loginPath}`), json: true };
    }
    if (route.state === 'starting') return { kind: 'page', page: startingPage(route) };
    if (route.state === 'failed') return { kind: 'page', page: failedPage(route) };
    if (!route.target) return { kind: 'page', page: unreachablePage(route, 'no address recorded for a ready service') };
    return { kind: 'forward', route: onOwnHost(route), path: target };
  }

  /** The decision for a request or upgrade, or undefined when it is not the proxy's to answer. */
  function decideFor(req: IncomingMessage, upgrade: boolean): Decision | undefined {
    const target = req.url ?? '';
    if (origins) {
      const host = classifyHost(req.headers.host, origins.domain);
      if (host.kind !== 'berth') return decideOnServiceHost(req, target, host, upgrade, origins);
    }
    if (!serviceSegment(target)) return undefined;
    return decide(req, target, upgrade);
  }

  return {
    handleRequest(req, res) {
      const decision = decideFor(req, false);
      if (!decision) return false;
      if (decision.kind === 'forward') forwardRequest(pools, req, res, decision.route, decision.path, headerPolicy);
      else if (decision.kind === 'redirect') sendRedirect(res, decision.status, decision.location, decision.cookie);
      else sendPage(req, res, decision.page, decision.json);
      return true;
    },

    handleUpgrade(req, socket, head) {
      const decision = decideFor(req, true);
      if (!decision) return false;
      // From here on the socket is ours: without a listener an early reset would crash the process.
      socket.on('error', function clientSocketError() {
        socket.destroy();
      });
      if (decision.kind === 'forward') tunnelUpgrade(req, socket, head, decision.route, decision.path, tunnels, headerPolicy);
      else if (decision.kind === 'redirect') writeRawResponse(socket, decision.status, { Location: decision.location, 'Content-Length': 0, Connection: 'close' });
      else writeRawPage(req, socket, decision.page, decision.json);
      return true;
    },

    async close() {
      for (const destroy of [...tunnels]) destroy();
      await pools.close();
    },
  };
}

/**
 * Server timeouts for a proxy. Node 20 cuts any request that takes longer than 300 s in total
 * (`requestTimeout`), which kills large uploads and long downloads through a proxy; the proxy puts
 * no limit on body time or size. Headers must still arrive promptly (slow-loris), and idle
 * keep-alive connections live a little longer than browsers' and load balancers' usual 60 s.
 */
export function prepareServer(server: Server): void {
  server.requestTimeout = 0;
  server.timeout = 0;
  server.keepAliveTimeout = 65_000;
  // Must exceed keepAliveTimeout, or Node could close a connection while a request's headers arrive.
  server.headersTimeout = 66_000;
}
