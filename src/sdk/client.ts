/**
 * A typed client for Berth's HTTP API, used by the CLI and by scripts.
 *
 * @example
 *   const berth = new BerthClient({ url: 'http://127.0.0.1:8765', token });
 *   const { session } = await berth.startSession('demo', 'demo.orchest');
 */
import { BerthError, type BerthErrorOptions } from '../shared/index.ts';
import type { ClientCode } from './codes.ts';
import { requestText, type TextResponse } from './http-text.ts';

/** An error of the API client: `status` is the server's HTTP status, 0 when there was no answer. */
export class ApiClientError extends BerthError {
  constructor(
    code: ClientCode,
    message: string,
    readonly status: number,
    options: BerthErrorOptions = {},
  ) {
    super(code, message, options);
  }

  /**
   * The error a server answered with, under the server's own code (declared in the server's
   * catalogues, not the client's); BERTH_CLIENT_HTTP when the answer has no Berth error body.
   */
  static fromAnswer(status: number, answer: unknown, method: string, path: string): ApiClientError {
    const error = (answer as { error?: { code?: string; message?: string; hint?: string; details?: unknown } } | undefined)?.error ?? {};
    const message = error.message ?? `${method} ${path} answered ${status}`;
    const options = { ...(error.hint ? { hint: error.hint } : {}), ...(error.details === undefined ? {} : { details: error.details }) };
    // The server's code is a string from the wire: whichever layer declared it, it is not a client code.
    return new ApiClientError((error.code ?? 'BERTH_CLIENT_HTTP') as ClientCode, message, status, options);
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
    return new ApiClientError('BERTH_CLIENT_UNREACHABLE', `cannot reach the Berth server at ${this.url}`, 0, {
      cause,
      hint: 'start it with `berth serve` (or `npm start`), or point --url / BERTH_URL at a running server',
    });
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

  health() {
    return this.request<{ ok: boolean; version: string; runtime: string; runtimeDescription: string }>('GET', '/api/health');
  }
  listProjects() {
    return this.request<{ projects: ProjectInfo[] }>('GET', '/api/projects');
  }
  addProject(path: string, name?: string) {
    return this.request<{ project: ProjectInfo }>('POST', '/api/projects', { path, ...(name ? { name } : {}) });
  }
  /** Creates `<data-dir>/projects/<name>` on the server from a starter (`demo` or `empty`) and registers it. */
  createProject(name: string, starter: 'demo' | 'empty' = 'empty') {
    return this.request<{ project: ProjectInfo }>('POST', '/api/projects', { name, starter });
  }
  removeProject(project: string) {
    return this.request<{ removed: ProjectInfo }>('DELETE', `/api/projects/${enc(project)}`);
  }
  listPipelines(project: string) {
    return this.request<{ pipelines: PipelineInfo[] }>('GET', `/api/projects/${enc(project)}/pipelines`);
  }
  listEnv(project: string, pipeline?: string) {
    return this.request<{ env: { name: string; value?: string }[] }>('GET', `${envBase(project, pipeline)}`);
  }
  setEnv(project: string, name: string, value: string, pipeline?: string) {
    return this.request('PUT', `${envBase(project, pipeline)}/${enc(name)}`, { value });
  }
  unsetEnv(project: string, name: string, pipeline?: string) {
    return this.request('DELETE', `${envBase(project, pipeline)}/${enc(name)}`);
  }
  startSession(project: string, pipeline: string) {
    return this.request<{ session: SessionInfo }>('POST', '/api/sessions', { project, pipeline });
  }
  listSessions(options: { project?: string; all?: boolean } = {}) {
    const query = new URLSearchParams();
    if (options.project) query.set('project', options.project);
    if (options.all) query.set('all', '1');
    return this.request<{ sessions: SessionInfo[] }>('GET', `/api/sessions?${query}`);
  }
  getSession(sessionUuid: string) {
    return this.request<{ session: SessionInfo; user_services: Record<string, Json> }>('GET', `/api/sessions/${enc(sessionUuid)}`);
  }
  stopSession(sessionUuid: string) {
    return this.request<{ session: SessionInfo }>('DELETE', `/api/sessions/${enc(sessionUuid)}`);
  }
  restartSession(sessionUuid: string, service?: string) {
    return this.request<{ session: SessionInfo }>('POST', `/api/sessions/${enc(sessionUuid)}/restart`, service ? { service } : {});
  }
  applySession(sessionUuid: string) {
    return this.request<{ diff: PlanDiff; session: SessionInfo }>('POST', `/api/sessions/${enc(sessionUuid)}/apply`, {});
  }
  logs(sessionUuid: string, service: string, options: { tail?: number } = {}) {
    const query = options.tail === undefined ? '' : `?tail=${options.tail}`;
    return this.#send('GET', `/api/sessions/${enc(sessionUuid)}/services/${enc(service)}/logs${query}`).then(({ ok, status, text }) => {
      if (!ok) throw ApiClientError.fromAnswer(status, safeJson(text), 'GET', 'logs');
      return text;
    });
  }
  followLogs(sessionUuid: string, service: string, options: { tail?: number; signal?: AbortSignal } = {}) {
    const query = `?follow=1${options.tail === undefined ? '' : `&tail=${options.tail}`}`;
    return this.stream(`/api/sessions/${enc(sessionUuid)}/services/${enc(service)}/logs${query}`, options.signal);
  }

  // --- jobs and runs (src/server/routes/jobs.ts) -------------------------------------------------
  createJob(project: string, pipeline: string, options: { name?: string; params?: string[]; env?: string[] } = {}) {
    return this.request<{ job: JobInfo }>('POST', '/api/jobs', { project, pipeline, ...options });
  }
  listJobs(options: { project?: string } = {}) {
    const query = options.project ? `?project=${enc(options.project)}` : '';
    return this.request<{ jobs: JobInfo[] }>('GET', `/api/jobs${query}`);
  }
  getJob(job: string, options: { reveal?: boolean } = {}) {
    return this.request<{ job: JobInfo }>('GET', `/api/jobs/${enc(job)}${options.reveal ? '?reveal=1' : ''}`);
  }
  /** Deletes the job, its runs' records and their directories; 409 while a run is active. */
  deleteJob(job: string) {
    return this.request<{ deleted: { uuid: string; runs: number } }>('DELETE', `/api/jobs/${enc(job)}`);
  }
  startRun(job: string) {
    return this.request<{ run: RunInfo }>('POST', `/api/jobs/${enc(job)}/runs`, {});
  }
  listRuns(options: { job?: string; project?: string; active?: boolean } = {}) {
    const query = new URLSearchParams();
    if (options.job) query.set('job', options.job);
    if (options.project) query.set('project', options.project);
    if (options.active) query.set('active', '1');
    return this.request<{ runs: RunInfo[] }>('GET', `/api/runs?${query}`);
  }
  getRun(run: string) {
    return this.request<{ run: RunInfo }>('GET', `/api/runs/${enc(run)}`);
  }
  cancelRun(run: string) {
    return this.request<{ run: RunInfo }>('POST', `/api/runs/${enc(run)}/cancel`, {});
  }
  startEnvironmentBuild(project: string, environment: string) {
    return this.request<{ build: { number: number; status: string } }>('POST', buildsPath(project, environment), {});
  }
  getEnvironmentBuild(project: string, environment: string, number: number) {
    return this.request<{ build: BuildInfo }>('GET', `${buildsPath(project, environment)}/${number}`);
  }
  cancelEnvironmentBuild(project: string, environment: string, number: number | string) {
    return this.request<{ build: BuildInfo }>('POST', `${buildsPath(project, environment)}/${enc(String(number))}/cancel`, {});
  }
  /** The build's log as it is written, ending with `berth: build N <status>`. */
  environmentBuildLog(project: string, environment: string, number: number) {
    return this.stream(`${buildsPath(project, environment)}/${number}/log`);
  }
  stepLogs(run: string, step: string, options: { tail?: number } = {}) {
    const query = options.tail === undefined ? '' : `?tail=${options.tail}`;
    return this.#send('GET', `/api/runs/${enc(run)}/steps/${enc(step)}/logs${query}`).then(({ ok, status, text }) => {
      if (!ok) throw ApiClientError.fromAnswer(status, safeJson(text), 'GET', 'step logs');
      return text;
    });
  }
  followStepLogs(run: string, step: string, options: { tail?: number; signal?: AbortSignal } = {}) {
    const query = `?follow=1${options.tail === undefined ? '' : `&tail=${options.tail}`}`;
    return this.stream(`/api/runs/${enc(run)}/steps/${enc(step)}/logs${query}`, options.signal);
  }
  /** Runs steps (all, or the given uuids/titles) inside the pipeline's running interactive session. */
  runPipeline(project: string, pipeline: string, steps?: string[]) {
    return this.request<{ run: RunInfo }>('POST', '/api/pipeline-runs', { project, pipeline, ...(steps && steps.length ? { steps } : {}) });
  }
}

export interface ProjectInfo {
  uuid: string;
  name: string;
  path: string;
  createdAt: string;
}
export interface PipelineInfo {
  path: string;
  uuid: string | null;
  name: string | null;
  version: string;
  valid: boolean;
  services: string[];
  diagnostics: { severity: string; path: string; message: string }[];
}
export interface ServiceInfo {
  name: string;
  status: string;
  reason: string | null;
  details: { code?: string; hint?: string; lastLogLines?: string[] } | null;
  hostname: string;
  internalHostname: string;
  ports: number[];
  exposed: boolean;
  urls: string[];
  endpoints: Record<string, { host: string; port: number }> | null;
  /** The runtime's id of the running instance (pgid, container id, object name). */
  runtimeId: string | null;
  attempt: number;
  startedAt: string | null;
  readyAt: string | null;
}
export interface SessionInfo {
  uuid: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  type: string;
  runtime: string;
  status: string;
  reason: string | null;
  services: ServiceInfo[];
  warnings: string[];
  /** Local runtime: `namespace` (the session has its own network) or `host` (services on host ports). */
  isolation?: string;
}
export interface JobInfo {
  uuid: string;
  name: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  createdAt: string;
  env: { name: string; value?: string }[];
  parameters: { pipeline: Record<string, unknown>; steps: Record<string, Record<string, unknown>> };
  effectiveParameters: { pipeline: Record<string, unknown>; steps: Record<string, Record<string, unknown>> };
  steps: { uuid: string; title: string; filePath: string }[];
  services: string[];
}
export interface RunStepInfo {
  stepUuid: string;
  title: string;
  filePath: string;
  position: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  reason: string | null;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  logFile: string;
}
export interface RunInfo {
  uuid: string;
  jobUuid: string | null;
  jobName: string | null;
  type: 'job' | 'interactive';
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  sessionUuid: string;
  status: 'pending' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  reason: string | null;
  runDir: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: RunStepInfo[];
  services: ServiceInfo[];
  sessionStatus: string | null;
}
export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export interface BuildInfo {
  projectUuid: string;
  environmentUuid: string;
  number: number;
  status: 'building' | 'succeeded' | 'failed' | 'cancelled';
  /** What services run: an engine tag, or `<registry>/<repo>@sha256:…` on Kubernetes. */
  image: string;
  startedAt: string;
  finishedAt: string | null;
  log: string;
  error: string | null;
}

function buildsPath(project: string, environment: string): string {
  return `/api/projects/${enc(project)}/environments/${enc(environment)}/builds`;
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function envBase(project: string, pipeline?: string): string {
  return pipeline ? `/api/projects/${enc(project)}/pipelines/${enc(pipeline)}/env` : `/api/projects/${enc(project)}/env`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text } };
  }
}

