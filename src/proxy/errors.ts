import { BerthError, type ErrorCatalogue } from '../shared/index.ts';

/**
 * Errors of the proxy layer: BERTH_PROXY_* codes. The same codes appear in the JSON bodies the
 * proxy answers with (404, 401, 502, 503), so scripts can match on them either way.
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

/** The catalogue of those codes: the status each proxy page answers with, and its cause. */
export const PROXY_CATALOGUE = {
  [PROXY_CODES.badTarget]: { status: 400, summary: 'the service path is not a valid URL path' },
  [PROXY_CODES.unauthenticated]: { status: 401, summary: 'the service requires a signed-in user and the request has none' },
  [PROXY_CODES.handshakeInvalid]: { status: 403, summary: 'the one-time code that signs a browser in to a service origin is unknown, used or expired' },
  [PROXY_CODES.notFound]: { status: 404, summary: 'no running session has a service at this path' },
  [PROXY_CODES.failed]: { status: 502, summary: 'the service behind this path failed' },
  [PROXY_CODES.unreachable]: { status: 502, summary: 'the service is ready but does not accept the connection' },
  [PROXY_CODES.starting]: { status: 503, summary: 'the service is still starting' },
  [PROXY_CODES.routeInvalid]: { status: 500, summary: 'a proxy route (a --route of `berth proxy`, or one from a plan) is not valid' },
  [PROXY_CODES.listenFailed]: { status: 500, summary: 'the standalone proxy cannot listen on its host and port' },
} as const satisfies ErrorCatalogue;

export type ProxyCode = keyof typeof PROXY_CATALOGUE;

export class ProxyError extends BerthError<ProxyCode> {}
