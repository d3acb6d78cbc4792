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
  if (status === 413) {
    return new ApiError('BERTH_API_BODY_TOO_LARGE', `the request body is too large: ${message}`, {
      cause: error,
      hint: 'API bodies are small JSON documents; put large data in project files instead',
    });
  }
  if (status === 415) {
    return new ApiError('BERTH_API_MEDIA_TYPE_UNSUPPORTED', `the request body's Content-Type is not accepted here: ${message}`, {
      cause: error,
      hint: 'send JSON with "Content-Type: application/json"',
    });
  }
  return new ApiError('BERTH_API_BAD_REQUEST', message, { cause: error, hint: 'check the URL escapes, the JSON and the Content-Type of the request (API bodies are JSON: "Content-Type: application/json")' });
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
    const body = JSON.stringify({
      error: {
        code: 'BERTH_API_BODY_TIMEOUT',
        message: `the request body did not arrive within ${timeoutMs / 1000} s`,
        hint: 'send the whole body at once; requests without a sign-in have a short body deadline',
      },
    });
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
  const body = JSON.stringify({
    error: {
      code: 'BERTH_API_BAD_TARGET',
      message: `the request target ${JSON.stringify(target.slice(0, 200))} is not a valid URL path`,
      hint: 'percent-encode the path (a "#" is %23; browsers never send the fragment)',
    },
  });
  res.writeHead(API_CODES.BERTH_API_BAD_TARGET.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-frame-options': 'DENY' });
  res.end(body);
}
