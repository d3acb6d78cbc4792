import { BerthError } from '../shared/index.ts';

/**
 * Errors of the proxy layer: BERTH_PROXY_* codes. The same codes appear in the JSON bodies the
 * proxy answers with (404, 401, 502, 503), so scripts can match on them either way.
 */
export class ProxyError extends BerthError {}

/** The stable codes, in one place so pages, tests and docs agree. */
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
