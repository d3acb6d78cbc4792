/**
 * The API's operations as one table: each name's method and path template (Fastify's `:param`
 * syntax, as the server registers it) and, at the type level, what it takes and answers. Clients
 * build every URL with `apiPath` from here instead of writing it again; contract.test.ts proves
 * the table and the server's GET /api/openapi.json list the same operations.
 *
 * Browser-safe and small: the CLI loads it on every command, so it imports nothing at run time.
 */
import type * as T from './types.ts';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRoute {
  method: ApiMethod;
  /** Fastify's pattern: `/api/sessions/:sid`. */
  path: string;
  /** How the answer comes: JSON (the default), plain text (logs), or server-sent events. */
  answer?: 'text' | 'events';
}

/**
 * What an operation takes and answers: `body` (absent: none), `query` (flags are booleans, `true`
 * is sent as "1", the server's spelling) and `reply`. Path params are read from the path template.
 */
export interface OperationTypes {
  body?: unknown;
  query?: unknown;
  reply: unknown;
}

/**
 * An operation's types in the table, beside its method and path: a type, and at run time only an
 * undefined `types` field. So each operation is declared once, in one line.
 */
function typed<Types extends OperationTypes>(): Types {
  return undefined as unknown as Types;
}

type RevealQuery = { reveal?: boolean };
type LogQuery = { tail?: number; follow?: boolean };
type EnvList = { env: T.EnvVarEntry[] };

const PROJECT = '/api/projects/:project';
const PIPELINE = `${PROJECT}/pipelines/:pipeline`;
const SESSION = '/api/sessions/:sid';
const ENVIRONMENT = `${PROJECT}/environments/:env`;
const BUILD = `${ENVIRONMENT}/builds/:number`;

/** Every operation of the API the clients call; the names are the route schemas' (routes/schemas.ts). */
export const API_ROUTES = {
  health: { method: 'GET', path: '/api/health', types: typed<{ reply: T.HealthInfo }>() },
  openApi: { method: 'GET', path: '/api/openapi.json', types: typed<{ reply: Record<string, unknown> }>() },

  listProjects: { method: 'GET', path: '/api/projects', types: typed<{ reply: { projects: T.ProjectInfo[] } }>() },
  createProject: { method: 'POST', path: '/api/projects', types: typed<{ body: T.CreateProjectBody; reply: { project: T.ProjectInfo } }>() },
  listStarters: { method: 'GET', path: '/api/starters', types: typed<{ reply: { starters: T.Starter[] } }>() },
  getProject: { method: 'GET', path: PROJECT, types: typed<{ reply: { project: T.ProjectInfo } }>() },
  removeProject: { method: 'DELETE', path: PROJECT, types: typed<{ reply: { removed: T.ProjectInfo } }>() },
  listPipelines: { method: 'GET', path: `${PROJECT}/pipelines`, types: typed<{ reply: { pipelines: T.PipelineInfo[] } }>() },
  listProjectEnv: { method: 'GET', path: `${PROJECT}/env`, types: typed<{ query: RevealQuery; reply: EnvList }>() },
  setProjectEnv: { method: 'PUT', path: `${PROJECT}/env/:name`, types: typed<{ body: T.EnvVarBody; reply: { name: string; set: boolean } }>() },
  unsetProjectEnv: { method: 'DELETE', path: `${PROJECT}/env/:name`, types: typed<{ reply: { name: string; unset: boolean } }>() },
  listPipelineEnv: { method: 'GET', path: `${PIPELINE}/env`, types: typed<{ query: RevealQuery; reply: EnvList }>() },
  setPipelineEnv: { method: 'PUT', path: `${PIPELINE}/env/:name`, types: typed<{ body: T.EnvVarBody; reply: { name: string; set: boolean } }>() },
  unsetPipelineEnv: { method: 'DELETE', path: `${PIPELINE}/env/:name`, types: typed<{ reply: { name: string; unset: boolean } }>() },

  getPipeline: { method: 'GET', path: PIPELINE, types: typed<{ reply: T.PipelineDocument }>() },
  savePipeline: { method: 'PUT', path: PIPELINE, types: typed<{ body: T.SavePipelineBody; reply: T.PipelineDocument }>() },
  validateDraft: { method: 'POST', path: '/api/validate', types: typed<{ body: T.ValidateBody; reply: { diagnostics: T.PipelineInfo['diagnostics'] } }>() },
  listTemplates: { method: 'GET', path: '/api/templates', types: typed<{ reply: { runtime: string | null; templates: T.TemplateInfo[] } }>() },

  listSessions: { method: 'GET', path: '/api/sessions', types: typed<{ query: { project?: string; all?: boolean }; reply: { sessions: T.SessionInfo[] } }>() },
  startSession: { method: 'POST', path: '/api/sessions', types: typed<{ body: T.StartSessionBody; reply: { session: T.SessionInfo } }>() },
  getSession: { method: 'GET', path: SESSION, types: typed<{ reply: { session: T.SessionInfo; user_services: Record<string, Record<string, unknown>> } }>() },
  sessionUpdates: { method: 'GET', path: `${SESSION}/updates`, types: typed<{ query: { since?: string }; reply: T.SessionUpdate }>() },
  stopSession: { method: 'DELETE', path: SESSION, types: typed<{ reply: { session: T.SessionInfo } }>() },
  restartSession: { method: 'POST', path: `${SESSION}/restart`, types: typed<{ body: T.RestartBody; reply: { session: T.SessionInfo } }>() },
  applySession: { method: 'POST', path: `${SESSION}/apply`, types: typed<{ reply: { diff: T.PlanDiff; session: T.SessionInfo } }>() },
  sessionChanges: { method: 'GET', path: `${SESSION}/changes`, types: typed<{ reply: { diff: T.PlanDiff } }>() },
  serviceLogs: { method: 'GET', path: `${SESSION}/services/:name/logs`, answer: 'text', types: typed<{ query: LogQuery; reply: string }>() },
  sessionEvents: { method: 'GET', path: '/api/events', answer: 'events', types: typed<{ query: { session?: string }; reply: string }>() },

  listJobs: { method: 'GET', path: '/api/jobs', types: typed<{ query: { project?: string }; reply: { jobs: T.JobInfo[] } }>() },
  createJob: { method: 'POST', path: '/api/jobs', types: typed<{ body: T.CreateJobBody; reply: { job: T.JobInfo } }>() },
  getJob: { method: 'GET', path: '/api/jobs/:job', types: typed<{ query: RevealQuery; reply: { job: T.JobInfo } }>() },
  deleteJob: { method: 'DELETE', path: '/api/jobs/:job', types: typed<{ reply: { deleted: { uuid: string; runs: number } } }>() },
  startRun: { method: 'POST', path: '/api/jobs/:job/runs', types: typed<{ reply: { run: T.RunInfo } }>() },
  listJobRuns: { method: 'GET', path: '/api/jobs/:job/runs', types: typed<{ reply: { runs: T.RunInfo[] } }>() },
  listRuns: { method: 'GET', path: '/api/runs', types: typed<{ query: { job?: string; project?: string; active?: boolean }; reply: { runs: T.RunInfo[] } }>() },
  getRun: { method: 'GET', path: '/api/runs/:run', types: typed<{ reply: { run: T.RunInfo } }>() },
  cancelRun: { method: 'POST', path: '/api/runs/:run/cancel', types: typed<{ reply: { run: T.RunInfo } }>() },
  stepLogs: { method: 'GET', path: '/api/runs/:run/steps/:step/logs', answer: 'text', types: typed<{ query: LogQuery; reply: string }>() },
  startPipelineRun: { method: 'POST', path: '/api/pipeline-runs', types: typed<{ body: T.PipelineRunBody; reply: { run: T.RunInfo } }>() },

  listEnvironments: { method: 'GET', path: `${PROJECT}/environments`, types: typed<{ reply: { environments: T.EnvironmentInfo[] } }>() },
  createEnvironment: { method: 'POST', path: `${PROJECT}/environments`, types: typed<{ body: T.EnvironmentBody & { name: string; base_image: string }; reply: { environment: T.EnvironmentDetail } }>() },
  getEnvironment: { method: 'GET', path: ENVIRONMENT, types: typed<{ reply: { environment: T.EnvironmentDetail } }>() },
  updateEnvironment: { method: 'PUT', path: ENVIRONMENT, types: typed<{ body: T.EnvironmentBody; reply: { environment: T.EnvironmentDetail } }>() },
  deleteEnvironment: { method: 'DELETE', path: ENVIRONMENT, types: typed<{ reply: { deleted: string } }>() },
  startBuild: { method: 'POST', path: `${ENVIRONMENT}/builds`, types: typed<{ reply: { build: Pick<T.BuildInfo, 'number' | 'status'> } }>() },
  cancelBuild: { method: 'POST', path: `${BUILD}/cancel`, types: typed<{ reply: { build: T.BuildInfo } }>() },
  getBuild: { method: 'GET', path: BUILD, types: typed<{ reply: { build: T.BuildInfo } }>() },
  buildLog: { method: 'GET', path: `${BUILD}/log`, answer: 'text', types: typed<{ reply: string }>() },

  login: { method: 'POST', path: '/api/auth/login', types: typed<{ body: T.LoginBody; reply: { user: T.PrincipalInfo; csrfToken: string } }>() },
  logout: { method: 'POST', path: '/api/auth/logout', types: typed<{ body: T.LogoutBody; reply: { ok: boolean } }>() },
  me: { method: 'GET', path: '/api/auth/me', types: typed<{ reply: T.MeInfo }>() },
  createToken: { method: 'POST', path: '/api/auth/tokens', types: typed<{ body: T.CreateTokenBody; reply: T.CreatedToken }>() },
  createLoginLink: { method: 'POST', path: '/api/auth/login-links', types: typed<{ reply: T.CreatedToken }>() },
  listTokens: { method: 'GET', path: '/api/auth/tokens', types: typed<{ reply: { tokens: T.TokenInfo[] } }>() },
  revokeToken: { method: 'DELETE', path: '/api/auth/tokens/:id', types: typed<{ reply: { removed: T.TokenInfo } }>() },
  listUsers: { method: 'GET', path: '/api/users', types: typed<{ reply: { users: T.UserInfo[] } }>() },
  createUser: { method: 'POST', path: '/api/users', types: typed<{ body: T.CreateUserBody; reply: { user: T.UserInfo } }>() },
  deleteUser: { method: 'DELETE', path: '/api/users/:username', types: typed<{ reply: { removed: T.UserInfo } }>() },
  changePassword: { method: 'PUT', path: '/api/users/:username/password', types: typed<{ body: T.PasswordBody; reply: { user: T.UserInfo } }>() },
} as const satisfies Readonly<Record<string, ApiRoute & { types: OperationTypes }>>;

/**
 * The server's routes that are pages a browser navigates to, not operations a client calls: the
 * sign-in pages and the UI's own files. Listed so the contract test accounts for every route.
 */
export const PAGE_ROUTES = [
  { method: 'GET', path: '/*' },
  { method: 'GET', path: '/signin' },
  { method: 'GET', path: '/login' },
  { method: 'POST', path: '/login' },
] as const satisfies readonly ApiRoute[];

export type OperationName = keyof typeof API_ROUTES;
export type Operations = { [O in OperationName]: (typeof API_ROUTES)[O]['types'] };
export type Reply<O extends OperationName> = Operations[O]['reply'];
export type Body<O extends OperationName> = Operations[O] extends { body: infer B } ? B : undefined;
export type Query<O extends OperationName> = Operations[O] extends { query: infer Q } ? Q : unknown;

/** `'/api/sessions/:sid/services/:name/logs'` → `'sid' | 'name'`. */
export type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** An operation's path params (a build's number may be given as a number) and its query, in one object. */
export type Params<O extends OperationName> = { [K in PathParamNames<(typeof API_ROUTES)[O]['path']>]: string | number } & Query<O>;

/** The arguments after the operation's name: its params when it has any, then its body when it takes one. */
export type CallArgs<O extends OperationName> =
  Body<O> extends undefined ? (AllOptional<Params<O>> extends true ? [params?: Params<O>] : [params: Params<O>]) : [params: Params<O>, body: Body<O>];

/** Whether an object type can be left out: none of its fields is required. */
type AllOptional<P> = Partial<P> extends P ? true : false;

/**
 * The URL of an operation: path params filled in (URI-encoded), everything else in the query.
 * A query flag `true` is sent as "1"; `false` and undefined are left out, as the server reads them.
 */
export function apiPath<O extends OperationName>(operation: O, ...[params]: [params?: Params<O>]): string {
  const rest: Record<string, unknown> = { ...(params as Record<string, unknown> | undefined) };
  const path = API_ROUTES[operation].path.replace(/:([A-Za-z0-9_]+)/g, function fill(_match, name: string) {
    const value = rest[name];
    delete rest[name];
    if (value === undefined) throw new TypeError(`${operation}: the path param "${name}" is missing`);
    return encodeURIComponent(String(value));
  });
  const query = queryString(rest);
  return query ? `${path}?${query}` : path;
}

function queryString(values: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === false) continue;
    query.set(name, value === true ? '1' : String(value));
  }
  return query.toString();
}

/**
 * The body to send: the given one, else `{}` for a POST or PUT that declares none (the server
 * checks a bodiless write as `{}` anyway, and the clients have always sent one), else nothing.
 */
export function bodyFor(operation: OperationName, body: unknown): unknown {
  if (body !== undefined) return body;
  const { method } = API_ROUTES[operation];
  return method === 'POST' || method === 'PUT' ? {} : undefined;
}
