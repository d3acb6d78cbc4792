/**
 * Forwards one plain HTTP request to its upstream and streams the answer back. Bodies flow through
 * `pipe` in both directions (backpressure, no buffering, no size limit) and no timer is set, so an
 * idle long-poll or a slow multi-GB upload is never cut by the proxy.
 */
import { request, type Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ProxyRoute } from './route-table.ts';
import { downstreamHeaders, upstreamHeaders } from './headers.ts';
import { sendPage, unreachablePage } from './pages.ts';

/** Methods that may be sent again when a reused keep-alive socket turns out to be closed. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'TRACE']);

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function forwardRequest(agent: Agent, req: IncomingMessage, res: ServerResponse, route: ProxyRoute, path: string): void {
  const target = route.target!;
  const headers = upstreamHeaders(req, { route, upgrade: false });
  const withBody = hasBody(req);
  let current: ClientRequest;

  res.on('close', function clientGone() {
    // The client went away before the answer was complete: stop the upstream work too.
    if (!res.writableFinished) current.destroy();
  });

  function attempt(retry: boolean): void {
    const upstream = request({ host: target.host, port: target.port, method: req.method, path, headers, agent });
    current = upstream;
    upstream.on('response', function upstreamResponse(upstreamRes: IncomingMessage) {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, downstreamHeaders(upstreamRes, route, req.headers.host));
      upstreamRes.on('error', function upstreamBodyError() {
        res.destroy();
      });
      upstreamRes.on('close', function upstreamBodyClosed() {
        // Ending normally would hand the client a truncated body that looks complete.
        if (!upstreamRes.complete) res.destroy();
      });
      upstreamRes.pipe(res);
    });
    upstream.on('error', function upstreamError(error: NodeJS.ErrnoException) {
      if (res.destroyed) return;
      // A pooled socket the upstream closed while idle: the request never reached it, send it again once.
      if (retry && upstream.reusedSocket && !withBody && error.code === 'ECONNRESET' && !res.headersSent && IDEMPOTENT.has(req.method ?? '')) {
        attempt(false);
        return;
      }
      if (res.headersSent) res.destroy();
      else sendPage(req, res, unreachablePage(route, error));
    });
    if (withBody) req.pipe(upstream);
    else upstream.end();
  }

  attempt(true);
}
