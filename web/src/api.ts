/**
 * The UI's only way to the server: same-origin fetch with the session cookie, the CSRF header on
 * every write, and one place that turns "not logged in" into a trip to the sign-in page.
 */
import type { Diagnostic, PipelineSpec, ServiceSpec } from '../../src/spec/browser.ts';
import { navigate } from './router.tsx';

export interface ApiErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiFailure';
  }
  get code(): string {
    return this.body.code;
  }
  get hint(): string | undefined {
    return this.body.hint;
  }
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Sends the user to sign in and back to where they were afterwards. */
export function goToSignIn(): void {
  const here = `${location.pathname}${location.search}`;
  if (location.pathname === '/signin') return;
  navigate(`/signin?next=${encodeURIComponent(here)}`, { replace: true, force: true });
}

function headersFor(method: string, body: unknown): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-berth-csrf'] = csrfToken;
  return headers;
}

export async function api<T>(method: string, path: string, body?: unknown, options: { signInOn401?: boolean } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: headersFor(method, body),
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new ApiFailure(0, {
      code: 'BERTH_UI_UNREACHABLE',
      message: `cannot reach the Berth server (${(cause as Error).message})`,
      hint: 'is `berth serve` still running?',
    });
  }
  const text = await response.text();
  const data = parseJson(text);
  if (!response.ok) {
    const error = (data as { error?: ApiErrorBody } | null)?.error ?? {
      code: `BERTH_UI_HTTP_${response.status}`,
      message: `${method} ${path} answered ${response.status}${text && !data ? `: ${text.slice(0, 200)}` : ''}`,
    };
    if (response.status === 401 && options.signInOn401 !== false) goToSignIn();
    throw new ApiFailure(response.status, error);
  }
  return data as T;
}

function parseJson(text: string): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A streaming GET (logs with ?follow=1): the body reader, or an ApiFailure. */
export async function openStream(path: string, signal: AbortSignal): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetch(path, { credentials: 'same-origin', signal, headers: { accept: 'text/plain' } });
  if (!response.ok || !response.body) {
    const data = parseJson(await response.text()) as { error?: ApiErrorBody } | null;
    if (response.status === 401) goToSignIn();
    throw new ApiFailure(response.status, data?.error ?? { code: `BERTH_UI_HTTP_${response.status}`, message: `logs answered ${response.status}` });
  }
  return response.body.getReader();
}

export const enc = encodeURIComponent;

// ---- shapes of the API's answers (src/server/routes/*.ts) ----

export interface Project {
  uuid: string;
  name: string;
  path: string;
  createdAt: string;
}

export interface PipelineSummary {
  path: string;
  uuid: string | null;
  name: string | null;
  version: string;
  valid: boolean;
  services: string[];
  diagnostics: Diagnostic[];
}

export interface PipelineDocument {
  project: { uuid: string; name: string; path: string };
  path: string;
  content: string;
  spec: PipelineSpec | null;
  sourceVersion: string;
  migrated: boolean;
  valid: boolean;
  diagnostics: Diagnostic[];
  /** The server's runtime, whose own rules the diagnostics include (local: shared ports; kubernetes: env names). */
  runtime: string | null;
  sessionUuid: string | null;
}

export type ServiceStatus = 'pending' | 'starting' | 'ready' | 'failed' | 'exited' | 'stopped';
export type SessionStatus = 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

export interface ServiceState {
  name: string;
  status: ServiceStatus;
  reason: string | null;
  details: { code?: string; hint?: string; lastLogLines?: string[] } | null;
  hostname: string;
  internalHostname: string;
  ports: number[];
  exposed: boolean;
  urls: string[];
  attempt: number;
  startedAt: string | null;
  readyAt: string | null;
}

export interface Session {
  uuid: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  type: string;
  runtime: string;
  status: SessionStatus;
  reason: string | null;
  services: ServiceState[];
  warnings: string[];
}

export interface ApplyDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export interface ServiceTemplate {
  id: string;
  label: string;
  description?: string;
  service: Partial<ServiceSpec>;
  /** Why it would fail to start on this server's runtime (a host program that is missing), if it would. */
  unavailable?: { program: string | null; message: string; hint: string } | null;
}

export interface EnvVarEntry {
  name: string;
  value?: string;
}

export interface Me {
  csrfToken?: string;
  user?: { name?: string; username?: string } | null;
  [extra: string]: unknown;
}
