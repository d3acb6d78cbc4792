/**
 * The answers the proxy gives itself (no upstream involved): unknown route, service starting,
 * service failed or unreachable, login required. Each is an HTML page for browsers and a JSON body
 * (`{ error: { code, message, hint, details } }`, the server's API error shape) for API clients;
 * WebSocket handshakes get the same answer written on the raw socket. The status, message and hint
 * of each come from its code in PROXY_CATALOGUE (errors.ts); a page adds only how it looks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ProxyError, PROXY_CODES } from './errors.ts';
import type { ProxyRoute } from './route-table.ts';

/**
 * One answer of the proxy: a ProxyError (its code, message, hint and details are the JSON body and
 * the page's text, its status the catalogue's) and how a browser shows it.
 */
export interface Page {
  error: ProxyError;
  title: string;
  headers?: Record<string, string>;
  /** Extra HTML after the message (already escaped). */
  html?: string;
  /** Seconds after which the HTML page reloads itself. */
  refreshSeconds?: number;
}

/** How long a browser waits before asking again for a service that is still starting. */
export const RETRY_AFTER_SECONDS = 2;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function notFoundPage(target: string, visible: ProxyRoute[]): Page {
  const services = visible.map((r) => ({ service: r.service, sessionUuid: r.sessionUuid, port: r.port, state: r.state, url: `${r.basePath}/` }));
  const items = services.map((s) => `<li><a href="${escapeHtml(s.url)}">${escapeHtml(s.url)}</a> — ${escapeHtml(s.service)} (${s.state})</li>`).join('');
  return {
    error: new ProxyError(PROXY_CODES.notFound, { path: pathOnly(target) }, { details: { services } }),
    title: 'No such service',
    html: services.length ? `<p>Running services:</p><ul>${items}</ul>` : '<p>No services are running.</p>',
  };
}

/** A request target no upstream can be sent (a `#` fragment, bytes outside printable ASCII): the client's mistake. */
export function badTargetPage(target: string): Page {
  return { error: new ProxyError(PROXY_CODES.badTarget, { target }), title: 'Bad request target' };
}

export function startingPage(route: ProxyRoute): Page {
  return {
    error: new ProxyError(PROXY_CODES.starting, { ...serviceOf(route), retrySeconds: RETRY_AFTER_SECONDS }),
    title: 'Service starting',
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    refreshSeconds: RETRY_AFTER_SECONDS,
  };
}

export function failedPage(route: ProxyRoute): Page {
  const reason = route.reason ?? 'no reason was recorded';
  return { error: new ProxyError(PROXY_CODES.failed, { ...serviceOf(route), reason }, { details: { reason } }), title: 'Service failed' };
}

export function unreachablePage(route: ProxyRoute, cause: unknown): Page {
  const target = route.target ? `${route.target.host}:${route.target.port}` : 'no address';
  const why = (cause as { code?: string } | undefined)?.code ?? (cause instanceof Error ? cause.message : String(cause));
  return {
    error: new ProxyError(PROXY_CODES.unreachable, { ...serviceOf(route), target, error: why }, { details: { target: route.target ?? null, error: why } }),
    title: 'Service unreachable',
  };
}

export function unauthenticatedPage(route: ProxyRoute, loginPath: string): Page {
  return { error: new ProxyError(PROXY_CODES.unauthenticated, { ...serviceOf(route), loginPath }), title: 'Login required' };
}

/** The facts every page about a service names it by. */
function serviceOf(route: ProxyRoute): { service: string; port: number; sessionUuid: string } {
  return { service: route.service, port: route.port, sessionUuid: route.sessionUuid };
}

/** API clients ask for JSON explicitly; anything that accepts HTML (browsers) gets the page. */
export function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && accept.includes('application/json') && !accept.includes('text/html');
}

export function isBrowserNavigation(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return (req.method === 'GET' || req.method === 'HEAD') && accept !== undefined && accept.includes('text/html');
}

function pageBody(page: Page, json: boolean): { type: string; body: string } {
  const { error } = page;
  if (json) return { type: 'application/json; charset=utf-8', body: JSON.stringify({ error: error.toJSON() }) };
  const refresh = page.refreshSeconds ? `<meta http-equiv="refresh" content="${page.refreshSeconds}">` : '';
  const body =
    `<!doctype html><html><head><meta charset="utf-8">${refresh}<title>${escapeHtml(page.title)} · Berth</title>` +
    '<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}code{color:#555}</style></head>' +
    `<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(error.message)}</p>` +
    (error.hint ? `<p><em>${escapeHtml(error.hint)}</em></p>` : '') +
    (page.html ?? '') +
    `<p><code>${escapeHtml(error.code)}</code></p></body></html>`;
  return { type: 'text/html; charset=utf-8', body };
}

export function sendPage(req: IncomingMessage, res: ServerResponse, page: Page, json = wantsJson(req)): void {
  const { type, body } = pageBody(page, json);
  res.writeHead(page.error.status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...page.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function sendRedirect(res: ServerResponse, status: 302 | 307 | 308, location: string, cookie?: string): void {
  res.writeHead(status, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store', ...(cookie === undefined ? {} : { 'Set-Cookie': cookie }) });
  res.end();
}

/** The same answer on the socket of a WebSocket handshake; the socket is destroyed once written. */
export function writeRawPage(req: IncomingMessage, socket: Duplex, page: Page, json = wantsJson(req)): void {
  const { type, body } = pageBody(page, json);
  const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', Connection: 'close', ...page.headers };
  writeRawResponse(socket, page.error.status, headers, body);
}

export function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string | number>, body = ''): void {
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  // The server socket is half-open capable: end() alone could leave it open forever.
  socket.end(`${head}\r\n${body}`, () => socket.destroy());
}

function pathOnly(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
