/**
 * The proxy's routing table: in memory, written by whoever knows the services' state (the session
 * manager through the server, or `berth proxy`'s static routes) and read on every request. Lookup
 * is one Map access on the first path segment, so a request never costs more with more routes and
 * `_80` can never match `_8080` (Orchest's preserve-base-path regex had that bug, orchest-compatibility.md: URLs and the proxy).
 */
import type { Socket } from 'node:net';
import { ProxyError, PROXY_CODES } from './errors.ts';
import { serviceHostKey } from './service-hosts.ts';

export interface ProxyRoute {
  /** `/service-<name>-<sid>_<port>` or `/pbp-service-<name>-<sid>_<port>`: one path segment. */
  basePath: string;
  /** True: the upstream sees the path with `basePath` removed (at least `/`). */
  stripPrefix: boolean;
  requiresAuthentication: boolean;
  sessionUuid: string;
  service: string;
  /** The service's own port (the `_<port>` of the URL). */
  port: number;
  state: 'starting' | 'ready' | 'failed';
  /** Why the service failed (shown on the 502 page). */
  reason?: string;
  /** Where traffic goes; only meaningful when `state` is `ready`. */
  target?: UpstreamTarget;
}

export interface UpstreamTarget {
  host: string;
  port: number;
  /** Dial this Unix socket instead of host:port. */
  socketPath?: string;
  /**
   * Opens each connection instead of dialling host:port or socketPath: an isolated local session's
   * dialer, which hands over a socket connected inside the session's network (docs/proxy.md).
   */
  connect?: () => Promise<Socket>;
}

export interface RouteMatch {
  route: ProxyRoute;
  /** What follows the base path: '' for the bare prefix, else `/…` or `?…` (query kept as given). */
  rest: string;
}

const SERVICE_SEGMENT_PREFIXES = ['service-', 'pbp-service-'];

/**
 * The first path segment of a request target (`/a/b?c` -> `a`) when it names a service
 * (`service-…` or `pbp-service-…`), else undefined. Returns the segment's end offset too.
 */
export function serviceSegment(target: string): { segment: string; end: number } | undefined {
  if (target.charCodeAt(0) !== 47 /* '/' */) return undefined;
  // Cheap reject before scanning: every service path starts with '/s' or '/p'.
  const second = target.charCodeAt(1);
  if (second !== 115 /* s */ && second !== 112 /* p */) return undefined;
  let end = 1;
  while (end < target.length) {
    const code = target.charCodeAt(end);
    if (code === 47 /* / */ || code === 63 /* ? */ || code === 35 /* # */) break;
    end++;
  }
  const segment = target.slice(1, end);
  if (!SERVICE_SEGMENT_PREFIXES.some((prefix) => segment.startsWith(prefix) && segment.length > prefix.length)) return undefined;
  return { segment, end };
}

export function isServicePath(target: string): boolean {
  return serviceSegment(target) !== undefined;
}

export class RouteTable {
  readonly #routes = new Map<string, ProxyRoute>();
  readonly #bySession = new Map<string, Set<string>>();
  /** Service host key (`<port>-<name>.<sid>`, see service-hosts.ts) -> base path. */
  readonly #byHost = new Map<string, string>();

  /** Adds or replaces the route of `route.basePath`. */
  set(route: ProxyRoute): void {
    assertValidBasePath(route.basePath);
    const previous = this.#routes.get(route.basePath);
    if (previous && previous.sessionUuid !== route.sessionUuid) this.#bySession.get(previous.sessionUuid)?.delete(route.basePath);
    if (previous) this.#forgetHost(previous);
    this.#routes.set(route.basePath, { ...route });
    this.#byHost.set(serviceHostKey(route), route.basePath);
    let paths = this.#bySession.get(route.sessionUuid);
    if (!paths) this.#bySession.set(route.sessionUuid, (paths = new Set()));
    paths.add(route.basePath);
  }

  remove(basePath: string): boolean {
    const route = this.#routes.get(basePath);
    if (!route) return false;
    this.#routes.delete(basePath);
    this.#forgetHost(route);
    const paths = this.#bySession.get(route.sessionUuid);
    paths?.delete(basePath);
    if (paths?.size === 0) this.#bySession.delete(route.sessionUuid);
    return true;
  }

  /** Removes every route of a session; returns how many there were. */
  removeSession(sessionUuid: string): number {
    const paths = this.#bySession.get(sessionUuid);
    if (!paths) return 0;
    for (const basePath of paths) {
      const route = this.#routes.get(basePath);
      if (route) this.#forgetHost(route);
      this.#routes.delete(basePath);
    }
    this.#bySession.delete(sessionUuid);
    return paths.size;
  }

  /** The route served on the service host `<key>.<service domain>` (see service-hosts.ts). */
  byHost(key: string): ProxyRoute | undefined {
    const basePath = this.#byHost.get(key);
    return basePath === undefined ? undefined : this.#routes.get(basePath);
  }

  #forgetHost(route: ProxyRoute): void {
    const key = serviceHostKey(route);
    if (this.#byHost.get(key) === route.basePath) this.#byHost.delete(key);
  }

  /**
   * The route a request target (`/service-x-sid_8080/a?b`) addresses, or undefined when its first
   * segment is not a known route.
   */
  match(target: string): RouteMatch | undefined {
    const found = serviceSegment(target);
    if (!found) return undefined;
    const route = this.#routes.get(target.slice(0, found.end));
    return route ? { route, rest: target.slice(found.end) } : undefined;
  }

  get(basePath: string): ProxyRoute | undefined {
    return this.#routes.get(basePath);
  }

  list(): ProxyRoute[] {
    return [...this.#routes.values()].sort((a, b) => a.basePath.localeCompare(b.basePath));
  }

  get size(): number {
    return this.#routes.size;
  }
}

function assertValidBasePath(basePath: string): void {
  const found = serviceSegment(basePath);
  if (!found || found.end !== basePath.length) {
    throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'base-path', basePath }, { details: { basePath } });
  }
}
