import { BerthError, defineError, renderError, type ErrorArgs, type ErrorCatalogue } from '../shared/index.ts';
import type { ProxyRoute } from './route-table.ts';

/**
 * The proxy layer's codes: BERTH_PROXY_*. The same codes appear in the pages the proxy answers
 * with (pages.ts: HTML for browsers, the API's JSON error shape for clients), so scripts can match
 * on them either way; their names here are what the proxy's code writes.
 */
export const PROXY_CODES = {
  routeInvalid: 'BERTH_PROXY_ROUTE_INVALID',
  notFound: 'BERTH_PROXY_NOT_FOUND',
  badTarget: 'BERTH_PROXY_BAD_TARGET',
  starting: 'BERTH_PROXY_SERVICE_STARTING',
  failed: 'BERTH_PROXY_SERVICE_FAILED',
  unreachable: 'BERTH_PROXY_UPSTREAM_UNREACHABLE',
  unauthenticated: 'BERTH_PROXY_UNAUTHENTICATED',
  handshakeInvalid: 'BERTH_PROXY_HANDSHAKE_INVALID',
  listenFailed: 'BERTH_PROXY_LISTEN_FAILED',
} as const;

/** The service a page is about, as every page names it. */
type ServiceFacts = Pick<ProxyRoute, 'service' | 'port' | 'sessionUuid'>;

function serviceLabel({ service, port, sessionUuid }: ServiceFacts): string {
  return `service "${service}" (port ${port}) of session ${sessionUuid}`;
}

/**
 * What is wrong with a route, one variant per message: a `--route PREFIX=URL` of `berth proxy`
 * (`argument`) and what in it, a `--preserve PREFIX` no route has, or the base path of a route
 * from a plan.
 */
type RouteProblem =
  | { argument: string; problem: 'no-equals' | 'upstream-path' }
  | { argument: string; problem: 'prefix'; prefix: string }
  | { argument: string; problem: 'no-scheme' | 'not-a-url'; upstream: string }
  | { argument: string; problem: 'protocol'; protocol: string }
  | { problem: 'preserve'; prefix: string }
  | { problem: 'base-path'; basePath: string };

const ROUTE_HINT = 'write --route PREFIX=URL, e.g. --route /service-app-dev_8080=http://127.0.0.1:8080 (PREFIX is one path segment starting with /service- or /pbp-service-)';

function routeMessage(facts: RouteProblem): string {
  switch (facts.problem) {
    case 'no-equals':
      return `--route ${facts.argument}: expected PREFIX=URL`;
    case 'prefix':
      return `--route ${facts.argument}: "${facts.prefix}" is not a single /service-… or /pbp-service-… path segment`;
    case 'no-scheme':
      return `--route ${facts.argument}: "${facts.upstream}" has no scheme: write http://${facts.upstream}`;
    case 'not-a-url':
      return `--route ${facts.argument}: "${facts.upstream}" is not a URL`;
    case 'protocol':
      return `--route ${facts.argument}: only http:// upstreams are supported, not ${facts.protocol}`;
    case 'upstream-path':
      return `--route ${facts.argument}: the upstream URL cannot have a path or query (use --preserve to keep the prefix)`;
    case 'preserve':
      return `--preserve ${facts.prefix}: no --route has that prefix`;
    case 'base-path':
      return `proxy route "${facts.basePath}": a base path must be one path segment starting with /service- or /pbp-service- (e.g. /service-redis-<session>_6379)`;
  }
}

function routeHint(facts: RouteProblem): string {
  switch (facts.problem) {
    case 'not-a-url':
      return 'write the upstream as http://HOST:PORT, e.g. http://127.0.0.1:8080';
    case 'preserve':
      return `add --route ${facts.prefix}=http://HOST:PORT or fix the prefix`;
    case 'base-path':
      return 'use the basePath of a RoutePlan (src/plan), or with `berth proxy --route` a prefix like /service-app-dev_8080';
    default:
      return ROUTE_HINT;
  }
}

/** Each proxy code once, with the status its page answers with, its cause, message and hint. */
export const PROXY_CATALOGUE = {
  [PROXY_CODES.badTarget]: defineError({
    status: 400,
    summary: 'the service path is not a valid URL path',
    message: ({ target }: { target: string }) => `the request target ${JSON.stringify(target.length > 200 ? `${target.slice(0, 200)}…` : target)} is not a valid URL path`,
    hint: () => 'percent-encode the path (a "#" is %23; browsers never send the fragment)',
  }),
  [PROXY_CODES.unauthenticated]: defineError({
    status: 401,
    summary: 'the service requires a signed-in user and the request has none',
    message: (facts: ServiceFacts & { loginPath: string }) => `${serviceLabel(facts)} requires a login`,
    hint: ({ loginPath }) => `log in at ${loginPath} (browsers are redirected there) or send the Berth session cookie`,
  }),
  [PROXY_CODES.handshakeInvalid]: defineError({
    status: 403,
    summary: 'the one-time code that signs a browser in to a service origin is unknown, used or expired',
    message: ({ service, port }: Pick<ProxyRoute, 'service' | 'port'>) => `the code that signs this browser in to service "${service}" (port ${port}) is unknown, used or expired`,
    hint: () => 'open the service again from Berth: each visit gets a fresh code, valid for 60 seconds and only once',
  }),
  [PROXY_CODES.notFound]: defineError({
    status: 404,
    summary: 'no running session has a service at this path',
    message: ({ path }: { path: string }) => `no running service answers at ${path}`,
    hint: () => 'the session may have stopped or the URL has the wrong session, service or port; the running services are listed in details',
  }),
  [PROXY_CODES.failed]: defineError({
    status: 502,
    summary: 'the service behind this path failed',
    message: (facts: ServiceFacts & { reason: string }) => `${serviceLabel(facts)} failed: ${facts.reason}`,
    hint: () => 'see the service logs (`berth session logs`) and restart the service or the session',
  }),
  [PROXY_CODES.unreachable]: defineError({
    status: 502,
    summary: 'the service is ready but does not accept the connection',
    /** `target`: the address tried (HOST:PORT); `error`: why the connection failed (an errno code, or a message). */
    message: (facts: ServiceFacts & { target: string; error: string }) => `${serviceLabel(facts)} did not answer at ${facts.target} (${facts.error})`,
    hint: () => 'the service may have exited or may not listen on that port; check its logs and its ports',
  }),
  [PROXY_CODES.starting]: defineError({
    status: 503,
    summary: 'the service is still starting',
    message: (facts: ServiceFacts & { retrySeconds: number }) => `${serviceLabel(facts)} is starting`,
    hint: ({ retrySeconds }) => `this page reloads itself every ${retrySeconds} s until the service is ready`,
  }),
  [PROXY_CODES.routeInvalid]: defineError({
    status: 500,
    summary: 'a proxy route (a --route of `berth proxy`, or one from a plan) is not valid',
    message: (facts: RouteProblem) => routeMessage(facts),
    hint: (facts) => routeHint(facts),
  }),
  [PROXY_CODES.listenFailed]: defineError({
    status: 500,
    summary: 'the standalone proxy cannot listen on its host and port',
    /** `error`: the errno code (EADDRINUSE, …), or the message when there is none. */
    message: ({ host, port, error }: { host: string; port: number; error: string }) => `cannot listen on ${host}:${port}: ${error}`,
    hint: ({ error }) => (error === 'EADDRINUSE' ? 'another program uses that port; pick another with --port' : 'check --host and --port'),
  }),
} as const satisfies ErrorCatalogue;

export type ProxyCode = keyof typeof PROXY_CATALOGUE;

/**
 * Errors of the proxy layer: codes of PROXY_CATALOGUE. The proxy's pages are made of one too
 * (pages.ts), so a page answers with its code's status and words.
 */
export class ProxyError extends BerthError<ProxyCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof PROXY_CATALOGUE>) {
    super(code, renderError(PROXY_CATALOGUE[code], params), options);
  }

  get status(): number {
    return PROXY_CATALOGUE[this.code].status;
  }
}
