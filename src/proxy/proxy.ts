/**
 * The data plane: `createProxy` answers every request and upgrade whose first path segment is a
 * service (`/service-…`, `/pbp-service-…`) from the route table, and returns false for anything
 * else so the server in front of it can handle it. The server and `berth proxy` use this same code.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyRoute, RouteTable } from './route-table.ts';
import { serviceSegment } from './route-table.ts';
import { forwardRequest } from './forward.ts';
import type { CredentialFilter, HeaderPolicy } from './headers.ts';
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
  | { kind: 'redirect'; status: 302 | 308; location: string }
  | { kind: 'forward'; route: ProxyRoute; path: string };

/**
 * An origin-form target an upstream accepts: printable ASCII without `#` (RFC 9112 §3.2; a fragment is
 * never sent by browsers, and undici refuses it, which used to surface as a misleading 502).
 */
const VALID_TARGET = /^\/[\x21-\x22\x24-\x7e]*$/;

export function isValidRequestTarget(target: string): boolean {
  return VALID_TARGET.test(target);
}

export function createProxy(options: ProxyOptions): Proxy {
  const { table, authorize, onError } = options;
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

  return {
    handleRequest(req, res) {
      const target = req.url ?? '';
      if (!serviceSegment(target)) return false;
      const decision = decide(req, target, false);
      if (decision.kind === 'forward') forwardRequest(pools, req, res, decision.route, decision.path, headerPolicy);
      else if (decision.kind === 'redirect') sendRedirect(res, decision.status, decision.location);
      else sendPage(req, res, decision.page, decision.json);
      return true;
    },

    handleUpgrade(req, socket, head) {
      const target = req.url ?? '';
      if (!serviceSegment(target)) return false;
      // From here on the socket is ours: without a listener an early reset would crash the process.
      socket.on('error', function clientSocketError() {
        socket.destroy();
      });
      const decision = decide(req, target, true);
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
