/**
 * Forwards one plain HTTP request to its upstream through an undici Pool and streams the answer
 * back. Bodies stream in both directions with backpressure (no buffering, no size limit) and no
 * timer is set, so an idle long poll or a slow multi-GB upload is never cut by the proxy.
 *
 * Each request is one `Exchange` object whose methods are the dispatch callbacks: no closures are
 * allocated per request on this path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ProxyRoute } from './route-table.ts';
import type { UpstreamPools } from './pools.ts';
import { downstreamHeaders, upstreamHeaders, type HeaderPolicy } from './headers.ts';
import { sendPage, unreachablePage } from './pages.ts';

/** Methods that may be sent again when a pooled socket turns out to have been closed by the upstream. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'TRACE']);
/** undici's codes for "the socket closed under us" (as opposed to refused or reset before sending). */
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/** How much of a response may wait in the client connection's buffer before the upstream is paused. */
const READ_AHEAD_BYTES = 1024 * 1024;

const EXCHANGE = Symbol('berth.proxy.exchange');
type Carrying<T> = T & { [EXCHANGE]?: Exchange };

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function forwardRequest(
  pools: UpstreamPools,
  req: IncomingMessage,
  res: ServerResponse,
  route: ProxyRoute,
  path: string,
  policy: HeaderPolicy = {},
): void {
  const exchange = new Exchange(pools, req, res, route, path, policy);
  (res as Carrying<ServerResponse>)[EXCHANGE] = exchange;
  res.on('close', onClientClose);
  exchange.send();
}

function onClientClose(this: Carrying<ServerResponse>): void {
  // The client went away before the answer was complete: stop the upstream work too.
  if (!this.writableFinished) this[EXCHANGE]?.abortUpstream();
}

class Exchange implements Dispatcher.DispatchHandler {
  readonly #headers: string[];
  readonly #withBody: boolean;
  #abort: ((error?: Error) => void) | undefined;
  #mayRetry: boolean;
  #started = false;

  constructor(
    readonly pools: UpstreamPools,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: ProxyRoute,
    readonly path: string,
    policy: HeaderPolicy,
  ) {
    this.#headers = upstreamHeaders(req, { ...policy, route, upgrade: false });
    this.#withBody = hasBody(req);
    this.#mayRetry = !this.#withBody && IDEMPOTENT.has(req.method ?? '');
  }

  send(): void {
    const target = this.route.target!;
    // undici destroys a failed request's body stream: a PassThrough keeps that from destroying
    // the client's socket, so the client still gets the 502 page.
    const body = this.#withBody ? this.req.pipe(new PassThrough()) : null;
    this.pools.get(target).dispatch({ path: this.path, method: (this.req.method ?? 'GET') as Dispatcher.HttpMethod, headers: this.#headers, body }, this);
  }

  abortUpstream(): void {
    this.#mayRetry = false;
    this.#abort?.();
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    if (this.res.destroyed) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // Informational answers (103 Early Hints) are not relayed: the final answer follows.
    if (statusCode < 200) return true;
    this.#started = true;
    const headers = downstreamHeaders(rawHeaders.map(String), this.route, this.req.headers.host);
    if (statusText) this.res.writeHead(statusCode, statusText, headers);
    else this.res.writeHead(statusCode, headers);
    this.res.on('drain', resume);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.res.write(chunk);
    // Pausing the upstream at Node's 16 KiB mark stops its socket on every 64 KiB read (measured: large
    // downloads ~2x slower than nginx); a bounded read-ahead keeps it streaming with flat memory.
    return this.res.writableLength < READ_AHEAD_BYTES;
  }

  onComplete(): void {
    this.res.end();
  }

  onError(error: Error & { code?: string }): void {
    const { req, res } = this;
    if (res.destroyed) return;
    if (this.#started || res.headersSent) {
      // Ending normally would hand the client a truncated body that looks complete.
      res.destroy();
      return;
    }
    if (this.#mayRetry && STALE_SOCKET.has(error.code ?? '')) {
      this.#mayRetry = false;
      this.send();
      return;
    }
    sendPage(req, res, unreachablePage(this.route, (error.cause as { code?: string } | undefined)?.code ? error.cause : error));
  }
}
