/**
 * A typed client for Berth's HTTP API, used by the CLI and by scripts: `call` takes any operation
 * of the API's route table (src/api), and the named methods below are the common ones on it.
 *
 * @example
 *   const berth = new BerthClient({ url: 'http://127.0.0.1:8765', token });
 *   const { session } = await berth.startSession('demo', 'demo.orchest');
 */
import { API_ROUTES, apiPath, bodyFor, type CallArgs, type OperationName, type Params, type Reply, type Starter } from '../api/index.ts';
import { BerthError, renderError, type ErrorArgs, type ErrorText } from '../shared/index.ts';
import { CLIENT_CODES } from './codes.ts';
import { requestText, type TextResponse } from './http-text.ts';

/**
 * The key of ApiClientError's second constructor form (an error in a server's words). Not
 * exported, so only fromAnswer below can pass it.
 */
const ANSWERED: unique symbol = Symbol('ApiClientError.fromAnswer');

/** An error as a server answered it: its code (any layer's), its words and details, the HTTP status. */
interface Answered {
  code: string;
  text: ErrorText;
  status: number;
  details?: unknown;
}

/**
 * An error of the API client, in one of two forms:
 *   - a client code (CLIENT_CODES) with its facts, like every layer's error class: the words are
 *     rendered from the catalogue and `status` is the code's status there;
 *   - the error a server answered with (`fromAnswer`): the server's code, message, hint and
 *     details and the answer's HTTP status, unchanged.
 * One class rather than two, so a script catches one `instanceof ApiClientError` and reads
 * `.status` whatever failed. The server's codes cannot be rendered here (their catalogues are the
 * server's, and its words must reach the user as it wrote them), so the second form takes the
 * words as they are; it is keyed by a symbol only this module holds, so that everywhere else
 * `new ApiClientError(...)` takes a client code and its facts and nothing else.
 */
export class ApiClientError extends BerthError {
  /** The HTTP status: the answer's, for a server's error; the catalogue's, for a client code (503 when no server answered). */
  readonly status: number;

  constructor(...args: ErrorArgs<typeof CLIENT_CODES> | [form: typeof ANSWERED, answered: Answered]) {
    if (args[0] === ANSWERED) {
      const [, { code, text, status, details }] = args;
      super(code, text, { details });
      this.status = status;
    } else {
      const [code, params, options] = args;
      super(code, renderError(CLIENT_CODES[code], params), options);
      this.status = CLIENT_CODES[code].status;
    }
  }

  /**
   * The error a server answered with, under the server's own code (declared in the server's
   * catalogues, not the client's); BERTH_CLIENT_HTTP when the answer has no Berth error body,
   * with the body's text as its message when there was one (a proxy's error page), else the
   * catalogue's. Its status is always the answer's.
   */
  static fromAnswer(status: number, answer: unknown, method: string, path: string): ApiClientError {
    const error = (answer as { error?: { code?: string; message?: string; hint?: string; details?: unknown } } | undefined)?.error ?? {};
    const message = error.message ?? CLIENT_CODES.BERTH_CLIENT_HTTP.message({ method, path, status });
    const text = { message, ...(error.hint ? { hint: error.hint } : {}) };
    return new ApiClientError(ANSWERED, { code: error.code ?? 'BERTH_CLIENT_HTTP', text, status, details: error.details });
  }
}

export interface ClientOptions {
  url: string;
  token?: string | undefined;
}

type Json = Record<string, unknown>;

export class BerthClient {
  readonly url: string;
  readonly #token: string | undefined;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
  }

  /** A request by method and path: prefer `call`, which knows the operation's URL and types. */
  async request<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const { ok, status, text } = await this.#send(method, path, body);
    const data = text ? (JSON.parse(text) as unknown) : {};
    if (!ok) throw ApiClientError.fromAnswer(status, data, method, path);
    return data as T;
  }

  /** A streaming GET (logs with follow, events): the raw body stream. */
  async stream(path: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#fetch('GET', path, undefined, signal);
    if (!response.ok || !response.body) {
      const text = await response.text();
      throw ApiClientError.fromAnswer(response.status, text ? safeJson(text) : {}, 'GET', path);
    }
    return response.body;
  }

  #headers(body: unknown): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return headers;
  }

  #unreachable(cause: unknown): ApiClientError {
    return new ApiClientError('BERTH_CLIENT_UNREACHABLE', { url: this.url }, { cause });
  }

  /** A whole answer as text, on node:http (see http-text.ts for why not fetch). */
  async #send(method: string, path: string, body?: unknown): Promise<TextResponse> {
    try {
      return await requestText(`${this.url}${path}`, { method, headers: this.#headers(body), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (cause) {
      throw this.#unreachable(cause);
    }
  }

  /** fetch, for the streaming calls only. */
  async #fetch(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: this.#headers(body),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      throw this.#unreachable(cause);
    }
  }

  /**
   * One operation of the API by its name in the route table (src/api/routes.ts): the URL is built
   * from its path template, and the answer has the operation's declared type.
   *
   * @example
   *   const { sessions } = await berth.call('listSessions', { project: 'demo', all: true });
   */
  call<O extends OperationName>(operation: O, ...[params, body]: CallArgs<O>): Promise<Reply<O>> {
    const { method } = API_ROUTES[operation];
    return this.request<Reply<O>>(method, apiPath(operation, params), bodyFor(operation, body));
  }

  /** An operation that answers plain text (a log as it is now). */
  async callText<O extends TextOperation>(operation: O, ...[params]: CallArgs<O>): Promise<string> {
    const path = apiPath(operation, params);
    const { ok, status, text } = await this.#send(API_ROUTES[operation].method, path);
    if (!ok) throw ApiClientError.fromAnswer(status, safeJson(text), 'GET', path);
    return text;
  }

  /** An operation that streams its answer (a log with follow): the raw body stream. */
  callStream<O extends TextOperation>(operation: O, params: Params<O>, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    return this.stream(apiPath(operation, params), signal);
  }

  health() {
    return this.call('health');
  }
  listProjects() {
    return this.call('listProjects');
  }
  addProject(path: string, name?: string) {
    return this.call('createProject', {}, { path, ...(name ? { name } : {}) });
  }
  /** Creates `<data-dir>/projects/<name>` on the server from a starter (`demo` or `empty`) and registers it. */
  createProject(name: string, starter: Starter = 'empty') {
    return this.call('createProject', {}, { name, starter });
  }
  removeProject(project: string) {
    return this.call('removeProject', { project });
  }
  listPipelines(project: string) {
    return this.call('listPipelines', { project });
  }
  listEnv(project: string, pipeline?: string, options: { reveal?: boolean } = {}) {
    return pipeline ? this.call('listPipelineEnv', { project, pipeline, ...options }) : this.call('listProjectEnv', { project, ...options });
  }
  setEnv(project: string, name: string, value: string, pipeline?: string) {
    return pipeline ? this.call('setPipelineEnv', { project, pipeline, name }, { value }) : this.call('setProjectEnv', { project, name }, { value });
  }
  unsetEnv(project: string, name: string, pipeline?: string) {
    return pipeline ? this.call('unsetPipelineEnv', { project, pipeline, name }) : this.call('unsetProjectEnv', { project, name });
  }
  startSession(project: string, pipeline: string) {
    return this.call('startSession', {}, { project, pipeline });
  }
  listSessions(options: { project?: string; all?: boolean } = {}) {
    return this.call('listSessions', options);
  }
  getSession(sessionUuid: string) {
    return this.call('getSession', { sid: sessionUuid });
  }
  stopSession(sessionUuid: string) {
    return this.call('stopSession', { sid: sessionUuid });
  }
  restartSession(sessionUuid: string, service?: string) {
    return this.call('restartSession', { sid: sessionUuid }, service ? { service } : {});
  }
  applySession(sessionUuid: string) {
    return this.call('applySession', { sid: sessionUuid });
  }
  logs(sessionUuid: string, service: string, options: { tail?: number } = {}) {
    return this.callText('serviceLogs', { sid: sessionUuid, name: service, ...options });
  }
  followLogs(sessionUuid: string, service: string, options: { tail?: number; signal?: AbortSignal } = {}) {
    return this.callStream('serviceLogs', { sid: sessionUuid, name: service, follow: true, tail: options.tail }, options.signal);
  }

  // --- jobs and runs (src/server/routes/jobs.ts) -------------------------------------------------
  createJob(project: string, pipeline: string, options: { name?: string; params?: string[]; env?: string[] } = {}) {
    return this.call('createJob', {}, { project, pipeline, ...options });
  }
  listJobs(options: { project?: string } = {}) {
    return this.call('listJobs', options);
  }
  getJob(job: string, options: { reveal?: boolean } = {}) {
    return this.call('getJob', { job, ...options });
  }
  /** Deletes the job, its runs' records and their directories; 409 while a run is active. */
  deleteJob(job: string) {
    return this.call('deleteJob', { job });
  }
  startRun(job: string) {
    return this.call('startRun', { job });
  }
  listRuns(options: { job?: string; project?: string; active?: boolean } = {}) {
    return this.call('listRuns', options);
  }
  getRun(run: string) {
    return this.call('getRun', { run });
  }
  cancelRun(run: string) {
    return this.call('cancelRun', { run });
  }
  startEnvironmentBuild(project: string, environment: string) {
    return this.call('startBuild', { project, env: environment });
  }
  getEnvironmentBuild(project: string, environment: string, number: number) {
    return this.call('getBuild', { project, env: environment, number });
  }
  cancelEnvironmentBuild(project: string, environment: string, number: number | string) {
    return this.call('cancelBuild', { project, env: environment, number });
  }
  /** The build's log as it is written, ending with `berth: build N <status>`. */
  environmentBuildLog(project: string, environment: string, number: number) {
    return this.callStream('buildLog', { project, env: environment, number });
  }
  stepLogs(run: string, step: string, options: { tail?: number } = {}) {
    return this.callText('stepLogs', { run, step, ...options });
  }
  followStepLogs(run: string, step: string, options: { tail?: number; signal?: AbortSignal } = {}) {
    return this.callStream('stepLogs', { run, step, follow: true, tail: options.tail }, options.signal);
  }
  /** Runs steps (all, or the given uuids/titles) inside the pipeline's running interactive session. */
  runPipeline(project: string, pipeline: string, steps?: string[]) {
    return this.call('startPipelineRun', {}, { project, pipeline, ...(steps && steps.length ? { steps } : {}) });
  }
}

/** The operations whose answer is text rather than JSON (logs). */
type TextOperation = { [O in OperationName]: (typeof API_ROUTES)[O] extends { answer: 'text' } ? O : never }[OperationName];

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text } };
  }
}

