/**
 * What Berth's HTTP API takes and answers, written once for every client: the SDK's BerthClient
 * (and through it the CLI), the web UI and the server's own route schemas (their body types).
 *
 * Browser-safe: types only, and only from other features' browser entries. The JSON Schemas the
 * routes declare (src/server/routes/schemas.ts, src/server/auth/schemas.ts) check the top level of
 * these shapes; contract.test.ts holds each type's fields against its schema, so the two cannot
 * drift. Field names follow the wire, Orchest's spellings included (`base_image`, `user_services`).
 */
import type { Diagnostic, PipelineSpec, ServiceSpec } from '../spec/browser.ts';

// --- server ---

export interface HealthInfo {
  ok: boolean;
  version: string;
  apiVersion: number;
  /** local, docker or kubernetes */
  runtime: string;
  runtimeDescription: string;
  /** Where services have their own origins (`<port>-<name>.<sid>.<domain>`), or null. */
  serviceDomain: string | null;
}

/** Berth's error envelope: what every 4xx and 5xx answer carries under `error`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
}

// --- projects, pipelines and env vars ---

export interface ProjectInfo {
  uuid: string;
  name: string;
  path: string;
  createdAt: string;
}

/** What `POST /api/projects {name, starter}` can create from (GET /api/starters lists them). */
export type Starter = 'demo' | 'empty';

export interface CreateProjectBody {
  path?: string;
  name?: string;
  /** Any string passes the schema: the server refuses an unknown one (BERTH_API_STARTER_INVALID, 422). */
  starter?: Starter;
}

/** A pipeline file of a project as the project's list shows it. */
export interface PipelineInfo {
  path: string;
  uuid: string | null;
  name: string | null;
  version: string;
  valid: boolean;
  services: string[];
  diagnostics: Diagnostic[];
}

/** One pipeline file, for the editor. */
export interface PipelineDocument {
  project: ProjectInfo;
  path: string;
  content: string;
  spec: PipelineSpec | null;
  sourceVersion: string | null;
  migrated: boolean;
  valid: boolean;
  diagnostics: Diagnostic[];
  /** The server's runtime, whose own rules the diagnostics include (local: shared ports; kubernetes: env names). */
  runtime: string | null;
  sessionUuid: string | null;
}

export interface SavePipelineBody {
  spec: PipelineSpec | Record<string, unknown>;
  /** The file text as GET returned it: the write is refused (409) when the file changed since. */
  expectedContent: string;
}

export interface ValidateBody {
  spec: unknown;
  file?: string;
}

export interface TemplateInfo {
  id: string;
  label: string;
  description?: string;
  fromOrchest?: boolean;
  service: Partial<ServiceSpec>;
  /** Why it would fail to start on this server's runtime (a host program that is missing), if it would. */
  unavailable?: { program: string | null; message: string; hint: string } | null;
}

/** An env var: the value only with `?reveal=1` (they are secrets). */
export interface EnvVarEntry {
  name: string;
  value?: string;
}

export interface EnvVarBody {
  value: string;
}

// --- sessions ---

export type ServiceStatus = 'pending' | 'starting' | 'ready' | 'failed' | 'exited' | 'stopped';
export type SessionStatus = 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

export interface ServiceInfo {
  name: string;
  status: ServiceStatus;
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
  status: SessionStatus;
  reason: string | null;
  services: ServiceInfo[];
  warnings: string[];
  /** Local runtime: `namespace` (the session has its own network) or `host` (services on host ports). */
  isolation?: string;
}

/**
 * A session as it changed since a cursor (GET /api/sessions/:sid/updates): `session.services`
 * holds only the services that changed, or every service when `complete`. mergeSessionUpdate
 * makes the whole session from the previous one and this.
 */
export interface SessionUpdate {
  session: SessionInfo;
  cursor: string;
  complete: boolean;
}

/** Which services `apply` adds, removes, restarts (changed) and leaves alone. */
export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export interface StartSessionBody {
  project: string;
  pipeline: string;
}

export interface RestartBody {
  /** Without it, every service restarts. */
  service?: string;
}

// --- jobs and runs ---

export interface JobParameters {
  pipeline: Record<string, unknown>;
  steps: Record<string, Record<string, unknown>>;
}

export interface JobInfo {
  uuid: string;
  name: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  createdAt: string;
  env: EnvVarEntry[];
  parameters: JobParameters;
  effectiveParameters: JobParameters;
  steps: { uuid: string; title: string; filePath: string }[];
  services: string[];
}

export interface CreateJobBody {
  project: string;
  pipeline: string;
  name?: string;
  /** `key=value` / `<step>.key=value` assignments, as the CLI's --param. */
  params?: string[];
  /** Or structured: { pipeline: {...}, steps: { <step uuid>: {...} } }. */
  parameters?: Partial<JobParameters>;
  /** `NAME=VALUE` assignments or an object: overrides of the project+pipeline vars copied now. */
  env?: string[] | Record<string, string>;
}

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunStatus = 'pending' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunStepInfo {
  stepUuid: string;
  title: string;
  filePath: string;
  /** The step's place in a topological order of the DAG. */
  position: number;
  status: StepStatus;
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
  status: RunStatus;
  reason: string | null;
  runDir: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: RunStepInfo[];
  services: ServiceInfo[];
  sessionStatus: string | null;
}

export interface PipelineRunBody {
  project: string;
  pipeline: string;
  /** Step uuids or titles; all steps when absent or empty. */
  steps?: string[];
}

// --- environments and their builds ---

export type BuildStatus = 'building' | 'succeeded' | 'failed' | 'cancelled';

export interface BuildInfo {
  projectUuid: string;
  environmentUuid: string;
  number: number;
  status: BuildStatus;
  /** What services run: an engine tag, or `<registry>/<repo>@sha256:…` on Kubernetes. */
  image: string;
  startedAt: string;
  finishedAt: string | null;
  log: string;
  error: string | null;
}

/** A build as an environment lists it: without its log. */
export type BuildSummary = Omit<BuildInfo, 'log'>;

export interface EnvironmentProperties {
  uuid: string;
  name: string;
  base_image: string;
  language: string;
  gpu_support: boolean;
}

/** An environment as the project's list shows it: with its builds, newest first. */
export interface EnvironmentInfo extends EnvironmentProperties {
  builds: BuildSummary[];
  /** The image of its last successful build, or null while it has none. */
  currentImage: string | null;
}

/** One environment with its setup script; GET adds its builds, create and update do not. */
export interface EnvironmentDetail extends EnvironmentProperties, Partial<Pick<EnvironmentInfo, 'builds' | 'currentImage'>> {
  setupScript: string;
}

export interface EnvironmentBody {
  name?: string;
  base_image?: string;
  language?: string;
  gpu_support?: boolean;
  setupScript?: string;
}

// --- sign-in, tokens and users ---

/** Who a request acts as: a user, the local CLI, an API token. */
export interface PrincipalInfo {
  kind: string;
  name: string;
  username: string | null;
  scope: string;
}

export interface MeInfo {
  user: PrincipalInfo;
  /** A browser session's CSRF token, for the X-Berth-CSRF header; null for a bearer token. */
  csrfToken: string | null;
  authEnabled: boolean;
}

/**
 * The sign-in form and JSON body: a token, or a username and password; `next` is where to go after.
 * A type, not an interface: the server reads it as a plain record of fields.
 */
export type LoginBody = {
  token?: string;
  username?: string;
  password?: string;
  next?: string;
};

export interface LogoutBody {
  csrf?: string;
}

export interface TokenInfo {
  id: number;
  name: string;
  kind: string;
  scope: string;
  username: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** A token as it is created: the only time its secret is shown. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface CreateTokenBody {
  name: string;
  expiresInDays?: number;
}

export interface UserInfo {
  username: string;
  createdAt: string;
  updatedAt: string;
}

export interface CreateUserBody {
  username: string;
  password: string;
}

export interface PasswordBody {
  password: string;
}
