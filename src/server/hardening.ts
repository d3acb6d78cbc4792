/**
 * Server-wide defences that are not about who is asking (auth/ does that): framework errors with
 * Berth's own codes, a bound on how long an anonymous client may take to send a body, and framing
 * protection for Berth's pages. See docs/security.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { API_CODES } from './codes.ts';
import { ApiError } from './errors.ts';

/** Fastify's own 4xx answers (body too large, unsupported media type, bad JSON), as Berth errors. */
export function frameworkError(error: unknown): ApiError | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 413) return new ApiError('BERTH_API_BODY_TOO_LARGE', { reason: message }, { cause: error });
  if (status === 415) return new ApiError('BERTH_API_MEDIA_TYPE_UNSUPPORTED', { reason: message }, { cause: error });
  return new ApiError('BERTH_API_BAD_REQUEST', { framework: message }, { cause: error });
}

/**
 * Requests that reach a handler without a principal are the public ones (sign-in, logout): anyone on
 * the network can open them, so a client that dribbles its body (1 byte every few seconds) must not
 * hold a connection and a parser open for minutes. The server has no overall request timeout (the
 * proxy streams long uploads), so the bound is per request, here.
 */
export function guardUnauthenticatedBody(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('onRequest', async function boundAnonymousBody(request, reply) {
    if (request.principal !== null || !hasBody(request.raw)) return;
    const req = request.raw;
    const res = reply.raw;
    const timer = setTimeout(() => cutSlowBody(req, res, timeoutMs), timeoutMs);
    const clear = (): void => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    res.once('close', clear);
  });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function cutSlowBody(req: IncomingMessage, res: ServerResponse, timeoutMs: number): void {
  if (req.complete || res.writableEnded) return;
  if (!res.headersSent) {
    const body = JSON.stringify({ error: new ApiError('BERTH_API_BODY_TIMEOUT', { timeoutMs }).toJSON() });
    res.writeHead(API_CODES.BERTH_API_BODY_TIMEOUT.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body, () => req.socket.destroy());
    return;
  }
  req.socket.destroy();
}

/**
 * Berth's own pages (UI, API answers) may not be framed by another site (clickjacking). The proxy
 * answers service paths before Fastify, so services keep their own policies.
 */
export function protectFraming(app: FastifyInstance): void {
  app.addHook('onSend', async function denyFraming(_request, reply, payload) {
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "frame-ancestors 'none'");
    return payload;
  });
}

/** A request target Node accepted but no route can mean (`/#x`, bytes outside printable ASCII): 400, said by name. */
export function refuseBadTarget(res: ServerResponse, target: string): void {
  const body = JSON.stringify({ error: new ApiError('BERTH_API_BAD_TARGET', { target }).toJSON() });
  res.writeHead(API_CODES.BERTH_API_BAD_TARGET.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-frame-options': 'DENY' });
  res.end(body);
}
