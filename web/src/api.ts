/**
 * The UI's only way to the server: same-origin fetch with the session cookie, the CSRF header on
 * every write, and one place that turns "not logged in" into a trip to the sign-in page. Which
 * operations there are, their URLs and their types come from the API contract (src/api), as the
 * CLI's do: `call('getSession', { sid })`, and `apiPath` for the streams.
 */
import { API_ROUTES, apiPath, bodyFor, SessionFollower, type ApiErrorBody, type CallArgs, type OperationName, type Reply } from '../../src/api/browser.ts';
import { navigate } from './router.tsx';

export { API_ROUTES, apiPath, SessionFollower };
export type * from '../../src/api/browser.ts';

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

/** One operation of the API, by its name in the route table, with its declared answer type. */
export function call<O extends OperationName>(operation: O, ...[params, body]: CallArgs<O>): Promise<Reply<O>> {
  return api<Reply<O>>(API_ROUTES[operation].method, apiPath(operation, params), bodyFor(operation, body));
}

/** A streaming GET (logs with ?follow=1; the URL from apiPath): the body reader, or an ApiFailure. */
export async function openStream(path: string, signal: AbortSignal): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetch(path, { credentials: 'same-origin', signal, headers: { accept: 'text/plain' } });
  if (!response.ok || !response.body) {
    const data = parseJson(await response.text()) as { error?: ApiErrorBody } | null;
    if (response.status === 401) goToSignIn();
    throw new ApiFailure(response.status, data?.error ?? { code: `BERTH_UI_HTTP_${response.status}`, message: `logs answered ${response.status}` });
  }
  return response.body.getReader();
}
