/**
 * A small Docker Engine API client over a unix socket (node:http, no dockerode). Pinned to API
 * v1.41: Docker 20.10 speaks it natively and Podman 4.x serves it on its compatible socket, so one
 * set of requests works for both engines.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { RuntimeError } from '../errors.ts';

export const DOCKER_API_VERSION = 'v1.41';

export interface DockerRequest {
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialised as JSON unless it is a Buffer (sent as is, e.g. a build context tar). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Abort the request when no answer came within this time (not used for streams). */
  timeoutMs?: number;
}

export interface DockerClient {
  readonly socketPath: string;
  /** Sends a request and parses the JSON answer (undefined for empty bodies). Errors become RuntimeError. */
  json<T = unknown>(method: string, path: string, options?: DockerRequest): Promise<T>;
  /** Sends a request and returns the response stream once the status is known to be a success. */
  stream(method: string, path: string, options?: DockerRequest): Promise<IncomingMessage>;
  /** True when the engine answers `GET /_ping` with OK. */
  ping(timeoutMs?: number): Promise<boolean>;
}

/** `unix:///var/run/docker.sock` -> `/var/run/docker.sock`; other schemes are refused with a fix. */
export function socketPathFromDockerHost(dockerHost: string): string {
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  if (dockerHost.startsWith('/')) return dockerHost;
  throw new RuntimeError('BERTH_RUNTIME_DOCKER_HOST', { dockerHost });
}

/** The socket to use: the explicit path, else DOCKER_HOST, else Docker's default. */
export function resolveSocketPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return socketPathFromDockerHost(explicit);
  if (env.DOCKER_HOST) return socketPathFromDockerHost(env.DOCKER_HOST);
  return '/var/run/docker.sock';
}

export function createDockerClient(socketPath: string): DockerClient {
  return {
    socketPath,
    async json<T>(method: string, path: string, options: DockerRequest = {}): Promise<T> {
      const response = await send(socketPath, method, path, options);
      const body = await readAll(response);
      if ((response.statusCode ?? 500) >= 400) throw engineError(socketPath, method, path, response.statusCode ?? 500, body);
      if (body.length === 0) return undefined as T;
      const text = body.toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch {
        return text as T;
      }
    },
    async stream(method: string, path: string, options: DockerRequest = {}): Promise<IncomingMessage> {
      const response = await send(socketPath, method, path, { ...options, timeoutMs: undefined });
      if ((response.statusCode ?? 500) >= 400) {
        const body = await readAll(response);
        throw engineError(socketPath, method, path, response.statusCode ?? 500, body);
      }
      return response;
    },
    async ping(timeoutMs = 2000): Promise<boolean> {
      try {
        const response = await send(socketPath, 'GET', '/_ping', { timeoutMs });
        const body = await readAll(response);
        return response.statusCode === 200 && body.toString('utf8').trim() === 'OK';
      } catch {
        return false;
      }
    },
  };
}

/** HTTP status of an engine error (undefined for anything else), e.g. to treat 404 as "already gone". */
export function engineStatus(error: unknown): number | undefined {
  if (!(error instanceof RuntimeError)) return undefined;
  const details = error.details as { status?: unknown } | undefined;
  return typeof details?.status === 'number' ? details.status : undefined;
}

function send(socketPath: string, method: string, path: string, options: DockerRequest): Promise<IncomingMessage> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) search.set(key, String(value));
  const url = `/${DOCKER_API_VERSION}${path}${search.size ? `?${search}` : ''}`;
  let payload: Buffer | undefined;
  const headers: Record<string, string> = { ...options.headers };
  if (Buffer.isBuffer(options.body)) {
    payload = options.body;
    headers['Content-Type'] ??= 'application/octet-stream';
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['Content-Type'] = 'application/json';
  }
  if (payload) headers['Content-Length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, method, path: url, headers, signal: options.signal }, resolve);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    }
    req.on('error', (cause: NodeJS.ErrnoException) => {
      if (cause.name === 'AbortError') return reject(cause);
      reject(new RuntimeError('BERTH_RUNTIME_ENGINE_UNREACHABLE', { socketPath, method, path, reason: cause.message }, { cause }));
    });
    req.end(payload);
  });
}

export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    // An aborted response may only close; the first settle wins.
    stream.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function engineError(socketPath: string, method: string, path: string, status: number, body: Buffer): RuntimeError {
  const text = body.toString('utf8').trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; cause?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the raw text
  }
  return new RuntimeError('BERTH_RUNTIME_ENGINE', { socketPath, method, path, status, engineMessage: message }, {
    details: { status, method, path, engineMessage: message },
  });
}
