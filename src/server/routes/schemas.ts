/**
 * The shapes the API routes in this folder take (params, query, body) and answer, one const per
 * route, with the TypeScript types the handlers read them as (`app.post<{ Body: …; Params: … }>`).
 * Keep a type and its schema side by side: the schema is what Fastify checks, the type is what the
 * handler may then assume. The bodies' types are the clients' too, so they are written once in the
 * API contract (src/api/types.ts) and named here. api-schemas.ts says what a schema checks and what
 * the handlers still do.
 */
import type { FastifySchema } from 'fastify';
import type { EnvironmentInput } from '../../environments/index.ts';
import { CURSOR_PATTERN } from '../../sessions/index.ts';
import {
  describedString,
  fields,
  flag,
  json,
  LOG_QUERY,
  OBJECT,
  OBJECTS,
  optionalFields,
  pathParams,
  STRING,
  STRINGS,
  text,
} from '../api-schemas.ts';

// --- params ---

export interface ProjectParams {
  project: string;
}
export interface PipelineParams extends ProjectParams {
  pipeline: string;
}
export interface EnvVarParams extends ProjectParams {
  pipeline?: string;
  name: string;
}
export interface SessionParams {
  sid: string;
}
export interface ServiceParams extends SessionParams {
  name: string;
}
export interface EnvironmentParams extends ProjectParams {
  env: string;
}
export interface BuildParams extends EnvironmentParams {
  number: string;
}
export interface JobParams {
  job: string;
}
export interface RunParams {
  run: string;
}
export interface StepParams extends RunParams {
  step: string;
}

// --- query ---

export interface LogQuery {
  tail?: string;
  follow?: string;
}
export interface RevealQuery {
  reveal?: string;
}

const PROJECT_REF = "the project's name or uuid";

const REVEAL_QUERY = optionalFields({ reveal: flag('show the values too, not only the names') });

// --- bodies: the API contract's types (src/api/types.ts) ---

export type {
  CreateJobBody,
  CreateProjectBody,
  EnvVarBody,
  PipelineRunBody,
  RestartBody,
  SavePipelineBody,
  StartSessionBody,
  ValidateBody,
} from '../../api/index.ts';

// --- projects and env vars (projects.ts) ---

export const listProjects: FastifySchema = {
  summary: 'the registered projects',
  tags: ['projects'],
  documentedResponses: { 200: json('the projects', fields({ projects: OBJECTS })) },
};

export const createProject: FastifySchema = {
  summary: 'register an existing directory ({path, name?}) or create a project from a starter ({name, starter})',
  tags: ['projects'],
  body: optionalFields({
    path: describedString('an existing directory to register'),
    name: describedString("the project's name (default: the directory's name)"),
    starter: describedString('create a new project from this starter (GET /api/starters lists them)'),
  }),
  documentedResponses: { 201: json('the project', fields({ project: OBJECT })) },
};

export const listStarters: FastifySchema = {
  summary: 'the starters a new project can be created from',
  tags: ['projects'],
  documentedResponses: { 200: json('the starters', fields({ starters: STRINGS })) },
};

export const getProject: FastifySchema = {
  summary: 'one project',
  tags: ['projects'],
  params: pathParams('project'),
  documentedResponses: { 200: json('the project', fields({ project: OBJECT })) },
};

export const removeProject: FastifySchema = {
  summary: 'unregister a project (its directory stays)',
  tags: ['projects'],
  params: pathParams('project'),
  documentedResponses: { 200: json('the project that was removed', fields({ removed: OBJECT })) },
};

export const listPipelines: FastifySchema = {
  summary: "the project's pipeline files, each with its validity and diagnostics",
  tags: ['projects'],
  params: pathParams('project'),
  documentedResponses: { 200: json('the pipelines', fields({ pipelines: OBJECTS })) },
};

const ENV_LIST = json('the env vars: names, and values with ?reveal=1', fields({ env: OBJECTS }));
const ENV_SET = json('the env var is set', fields({ name: STRING, set: { type: 'boolean' } }));
const ENV_UNSET = json('the env var is removed', fields({ name: STRING, unset: { type: 'boolean' } }));
const ENV_VALUE = fields({ value: describedString('the value (a secret: stored by Berth, never in the project)') });

export const listProjectEnv: FastifySchema = {
  summary: "the project's env vars",
  tags: ['env'],
  params: pathParams('project'),
  querystring: REVEAL_QUERY,
  documentedResponses: { 200: ENV_LIST },
};

export const setProjectEnv: FastifySchema = {
  summary: 'set a project env var',
  tags: ['env'],
  params: pathParams('project', 'name'),
  body: ENV_VALUE,
  documentedResponses: { 200: ENV_SET },
};

export const unsetProjectEnv: FastifySchema = {
  summary: 'remove a project env var',
  tags: ['env'],
  params: pathParams('project', 'name'),
  documentedResponses: { 200: ENV_UNSET },
};

export const listPipelineEnv: FastifySchema = {
  summary: "the pipeline's env vars (they override the project's)",
  tags: ['env'],
  params: pathParams('project', 'pipeline'),
  querystring: REVEAL_QUERY,
  documentedResponses: { 200: ENV_LIST },
};

export const setPipelineEnv: FastifySchema = {
  summary: 'set a pipeline env var',
  tags: ['env'],
  params: pathParams('project', 'pipeline', 'name'),
  body: ENV_VALUE,
  documentedResponses: { 200: ENV_SET },
};

export const unsetPipelineEnv: FastifySchema = {
  summary: 'remove a pipeline env var',
  tags: ['env'],
  params: pathParams('project', 'pipeline', 'name'),
  documentedResponses: { 200: ENV_UNSET },
};

// --- pipelines (pipelines.ts) ---

const PIPELINE_ANSWER = json(
  'the file: its text, the migrated spec, diagnostics, and the interactive session uuid it would get',
  fields({
    project: OBJECT,
    path: STRING,
    content: STRING,
    spec: { type: ['object', 'null'] },
    sourceVersion: { type: ['string', 'null'] },
    migrated: { type: 'boolean' },
    valid: { type: 'boolean' },
    diagnostics: OBJECTS,
    runtime: { type: ['string', 'null'] },
    sessionUuid: { type: ['string', 'null'] },
  }),
);

export const getPipeline: FastifySchema = {
  summary: 'one pipeline file, for the editor',
  tags: ['pipelines'],
  params: pathParams('project', 'pipeline'),
  documentedResponses: { 200: PIPELINE_ANSWER },
};

export const savePipeline: FastifySchema = {
  summary: 'write a pipeline file, only if it did not change on disk since it was read (else 409)',
  tags: ['pipelines'],
  params: pathParams('project', 'pipeline'),
  body: fields({
    spec: { type: 'object', description: 'the pipeline object to write' },
    expectedContent: describedString('the file text as GET returned it (its "content")'),
  }),
  documentedResponses: { 200: PIPELINE_ANSWER },
};

export const validateDraft: FastifySchema = {
  summary: 'validate a pipeline object as `berth validate` does, without writing it',
  tags: ['pipelines'],
  body: {
    type: 'object',
    required: ['spec'],
    properties: {
      spec: { description: 'the pipeline object to check (anything: what is wrong with it comes back as diagnostics)' },
      file: describedString('the file name the diagnostics mention (default pipeline.orchest)'),
    },
  },
  documentedResponses: { 200: json('every problem, with its field path', fields({ diagnostics: OBJECTS })) },
};

export const listTemplates: FastifySchema = {
  summary: 'the service templates, with what would keep each from starting on this runtime',
  tags: ['pipelines'],
  documentedResponses: { 200: json('the templates', fields({ runtime: { type: ['string', 'null'] }, templates: OBJECTS })) },
};

// --- sessions (sessions.ts) ---

export interface ListSessionsQuery {
  project?: string;
  all?: string;
}
export interface EventsQuery {
  session?: string;
}
export interface UpdatesQuery {
  since?: string;
}

const PROJECT_AND_PIPELINE = {
  project: describedString(PROJECT_REF),
  pipeline: describedString("the pipeline file's path in the project, or its uuid"),
};

export const listSessions: FastifySchema = {
  summary: 'the sessions: the active ones, or all with ?all=1',
  tags: ['sessions'],
  querystring: optionalFields({ project: describedString(PROJECT_REF), all: flag('stopped sessions too') }),
  documentedResponses: { 200: json('the sessions', fields({ sessions: OBJECTS })) },
};

export const startSession: FastifySchema = {
  summary: "start a pipeline's interactive session; answers at once, the services start in the background",
  tags: ['sessions'],
  body: fields(PROJECT_AND_PIPELINE),
  documentedResponses: { 202: json('the session, starting', fields({ session: OBJECT })) },
};

export const getSession: FastifySchema = {
  summary: 'one session with its services',
  tags: ['sessions'],
  params: pathParams('sid'),
  documentedResponses: { 200: json('the session; user_services as Orchest named the started services', fields({ session: OBJECT, user_services: OBJECT })) },
};

export const sessionUpdates: FastifySchema = {
  summary: 'one session with only the services that changed since the cursor an earlier answer gave: what a client following a start polls',
  tags: ['sessions'],
  params: pathParams('sid'),
  querystring: optionalFields({ since: { type: 'string', pattern: CURSOR_PATTERN, description: 'the cursor of the previous answer; without it every service' } }),
  documentedResponses: {
    200: json(
      'the session with the services changed since the cursor (every service when complete is true: no cursor, or one of another plan or another run of Berth), and the cursor for the next call',
      fields({ session: OBJECT, cursor: STRING, complete: { type: 'boolean' } }),
    ),
  },
};

export const stopSession: FastifySchema = {
  summary: 'stop a session and remove every trace of its services',
  tags: ['sessions'],
  params: pathParams('sid'),
  documentedResponses: { 200: json('the stopped session', fields({ session: OBJECT })) },
};

export const restartSession: FastifySchema = {
  summary: 'restart one service, or every service without "service"',
  tags: ['sessions'],
  params: pathParams('sid'),
  body: optionalFields({ service: describedString('the service to restart') }),
  documentedResponses: { 202: json('the session, restarting', fields({ session: OBJECT })) },
};

export const applySession: FastifySchema = {
  summary: 'apply the pipeline file as it is now: only the services that changed restart',
  tags: ['sessions'],
  params: pathParams('sid'),
  documentedResponses: { 202: json('what changed, and the session', fields({ diff: OBJECT, session: OBJECT })) },
};

export const sessionChanges: FastifySchema = {
  summary: 'what apply would do now',
  tags: ['sessions'],
  params: pathParams('sid'),
  documentedResponses: { 200: json('the changes', fields({ diff: OBJECT })) },
};

export const serviceLogs: FastifySchema = {
  summary: "a service's log, kept across restarts until the session stops",
  tags: ['sessions'],
  params: pathParams('sid', 'name'),
  querystring: LOG_QUERY,
  documentedResponses: { 200: text('the log lines') },
};

export const sessionEvents: FastifySchema = {
  summary: "server-sent events: every session's and service's status changes, or one session's",
  tags: ['sessions'],
  querystring: optionalFields({ session: describedString("only this session's events") }),
  documentedResponses: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: STRING } } } },
};

// --- jobs and runs (jobs.ts) ---

export interface ListJobsQuery {
  project?: string;
}
export interface ListRunsQuery {
  job?: string;
  project?: string;
  active?: string;
}

export const listJobs: FastifySchema = {
  summary: 'the jobs, optionally of one project',
  tags: ['jobs'],
  querystring: optionalFields({ project: describedString(PROJECT_REF) }),
  documentedResponses: { 200: json('the jobs', fields({ jobs: OBJECTS })) },
};

export const createJob: FastifySchema = {
  summary: 'snapshot a pipeline with its parameters and env vars as a job',
  tags: ['jobs'],
  body: {
    type: 'object',
    required: ['project', 'pipeline'],
    properties: {
      ...PROJECT_AND_PIPELINE,
      name: STRING,
      params: { ...STRINGS, description: '`key=value` (pipeline) or `<step>.key=value` assignments, as the CLI\'s --param' },
      parameters: {
        type: 'object',
        description: 'or structured: { pipeline: {...}, steps: { <step uuid>: {...} } }',
        properties: { pipeline: OBJECT, steps: { type: 'object', additionalProperties: OBJECT } },
      },
      env: {
        description: '`NAME=VALUE` assignments or an object of them: override the project and pipeline env vars',
        anyOf: [STRINGS, { type: 'object', additionalProperties: STRING }],
      },
    },
  },
  documentedResponses: { 201: json('the job', fields({ job: OBJECT })) },
};

export const getJob: FastifySchema = {
  summary: 'one job',
  tags: ['jobs'],
  params: pathParams('job'),
  querystring: optionalFields({ reveal: flag("show the job's env values") }),
  documentedResponses: { 200: json('the job', fields({ job: OBJECT })) },
};

export const deleteJob: FastifySchema = {
  summary: "delete a job with its runs' records and directories (409 while a run is going)",
  tags: ['jobs'],
  params: pathParams('job'),
  documentedResponses: { 200: json('what was deleted', fields({ deleted: OBJECT })) },
};

export const startRun: FastifySchema = {
  summary: "start a run of the job: services up, steps in DAG order, services down",
  tags: ['jobs'],
  params: pathParams('job'),
  documentedResponses: { 202: json('the run, starting', fields({ run: OBJECT })) },
};

export const listJobRuns: FastifySchema = {
  summary: "the job's runs",
  tags: ['jobs'],
  params: pathParams('job'),
  documentedResponses: { 200: json('the runs', fields({ runs: OBJECTS })) },
};

export const listRuns: FastifySchema = {
  summary: 'runs, of one job or project, or only the active ones',
  tags: ['jobs'],
  querystring: optionalFields({ job: describedString("the job's uuid"), project: describedString(PROJECT_REF), active: flag('only runs still going') }),
  documentedResponses: { 200: json('the runs', fields({ runs: OBJECTS })) },
};

export const getRun: FastifySchema = {
  summary: 'one run with its steps and services',
  tags: ['jobs'],
  params: pathParams('run'),
  documentedResponses: { 200: json('the run', fields({ run: OBJECT })) },
};

export const cancelRun: FastifySchema = {
  summary: 'cancel a run (409 when it already ended)',
  tags: ['jobs'],
  params: pathParams('run'),
  documentedResponses: { 200: json('the run', fields({ run: OBJECT })) },
};

export const stepLogs: FastifySchema = {
  summary: "a step's log",
  tags: ['jobs'],
  params: pathParams('run', 'step'),
  querystring: LOG_QUERY,
  documentedResponses: { 200: text('the log lines') },
};

export const startPipelineRun: FastifySchema = {
  summary: "run steps (all, or the ones named) inside the pipeline's running interactive session (409 without one)",
  tags: ['jobs'],
  body: {
    type: 'object',
    required: ['project', 'pipeline'],
    properties: { ...PROJECT_AND_PIPELINE, steps: { ...STRINGS, description: 'step uuids or titles; all steps when absent or empty' } },
  },
  documentedResponses: { 202: json('the run, starting', fields({ run: OBJECT })) },
};

// --- environments (environments.ts) ---

export type CreateEnvironmentBody = EnvironmentInput;
export type UpdateEnvironmentBody = Partial<EnvironmentInput>;

const ENVIRONMENT_FIELDS = {
  name: STRING,
  base_image: describedString('an image reference, e.g. localhost/debian:bookworm'),
  language: describedString('default python'),
  gpu_support: { type: 'boolean' },
  setupScript: describedString('the setup script run on top of the base image'),
};

export const listEnvironments: FastifySchema = {
  summary: "the project's environments with their builds",
  tags: ['environments'],
  params: pathParams('project'),
  documentedResponses: { 200: json('the environments', fields({ environments: OBJECTS })) },
};

export const createEnvironment: FastifySchema = {
  summary: 'create an environment (.orchest/environments/<uuid> in the project)',
  tags: ['environments'],
  params: pathParams('project'),
  body: { type: 'object', required: ['name', 'base_image'], properties: ENVIRONMENT_FIELDS },
  documentedResponses: { 201: json('the environment', fields({ environment: OBJECT })) },
};

export const getEnvironment: FastifySchema = {
  summary: 'one environment with its setup script and builds',
  tags: ['environments'],
  params: pathParams('project', 'env'),
  documentedResponses: { 200: json('the environment', fields({ environment: OBJECT })) },
};

export const updateEnvironment: FastifySchema = {
  summary: "change an environment's properties or setup script",
  tags: ['environments'],
  params: pathParams('project', 'env'),
  body: optionalFields(ENVIRONMENT_FIELDS),
  documentedResponses: { 200: json('the environment', fields({ environment: OBJECT })) },
};

export const deleteEnvironment: FastifySchema = {
  summary: 'delete an environment',
  tags: ['environments'],
  params: pathParams('project', 'env'),
  documentedResponses: { 200: json("the deleted environment's uuid", fields({ deleted: STRING })) },
};

export const startBuild: FastifySchema = {
  summary: "build the environment's image in the background (503 when nothing can build)",
  tags: ['environments'],
  params: pathParams('project', 'env'),
  documentedResponses: { 202: json("the build's number", fields({ build: OBJECT })) },
};

export const cancelBuild: FastifySchema = {
  summary: 'cancel a running build (409 when it is not running)',
  tags: ['environments'],
  params: pathParams('project', 'env', 'number'),
  documentedResponses: { 200: json('the build, cancelled', fields({ build: OBJECT })) },
};

export const getBuild: FastifySchema = {
  summary: 'one build',
  tags: ['environments'],
  params: pathParams('project', 'env', 'number'),
  documentedResponses: { 200: json('the build', fields({ build: OBJECT })) },
};

export const buildLog: FastifySchema = {
  summary: "a build's log: streamed while it runs, then read from its record",
  tags: ['environments'],
  params: pathParams('project', 'env', 'number'),
  documentedResponses: { 200: text('the log lines, ending with the build status') },
};
