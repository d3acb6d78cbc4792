/**
 * The clients' contract (this folder) against the server's: the route table lists exactly the
 * operations of GET /api/openapi.json, each answering as the table says (JSON, text, events), and
 * the types' fields are the schemas' fields. The field tables below are checked by tsc against the
 * types (every field, and whether it is optional) and here against the schemas, so a field added
 * to one side only fails one of the two. The server's views are checked to fit the types at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView, RunView } from '../jobs/index.ts';
import type { ServiceView, SessionView } from '../sessions/index.ts';
import type { OpenApiDocument, Operation } from '../server/api-contract.ts';
import { STARTERS } from '../server/projects.ts';
import { startTestServer } from '../../test/support/berth.ts';
import { API_ROUTES, PAGE_ROUTES, apiPath, type Body, type CallArgs, type OperationName, type Query, type Reply } from './routes.ts';
import type { JobInfo, RunInfo, ServiceInfo, SessionInfo, Starter } from './types.ts';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[] };

let document: OpenApiDocument;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  const started = await startTestServer({ after: (fn: () => Promise<void>) => void cleanups.push(fn) });
  const answer = await started.server.app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.equal(answer.statusCode, 200, answer.body);
  document = answer.json();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Fastify's `/api/sessions/:sid` (the table's spelling) as the document's `/api/sessions/{sid}`. */
function documentPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');
}

function documented(method: string, path: string): Operation {
  const operation = document.paths[documentPath(path)]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${path} is in /api/openapi.json`);
  return operation;
}

/** The success answer's media type and JSON schema. */
function success(operation: Operation): { type: string; schema: Schema | undefined } {
  const [, answer] = Object.entries(operation.responses).find(([status]) => status.startsWith('2')) ?? [];
  const content = answer && 'content' in answer ? (answer.content ?? {}) : {};
  const [type = '', media] = Object.entries(content)[0] ?? [];
  return { type, schema: media?.schema as Schema | undefined };
}

describe('the route table and /api/openapi.json', () => {
  test('list the same operations: every route is a client operation or a page', () => {
    const inDocument = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const inTable = [...Object.values(API_ROUTES), ...PAGE_ROUTES].map((route) => `${route.method} ${documentPath(route.path)}`);
    assert.equal(new Set(inTable).size, inTable.length, 'no operation is in the table twice');
    assert.deepEqual(inTable.sort(), inDocument.sort());
  });

  test('every operation answers as the table says: JSON, text or events', () => {
    const expected = { text: 'text/plain', events: 'text/event-stream' } as const;
    for (const [name, route] of Object.entries(API_ROUTES)) {
      const answer = 'answer' in route ? expected[route.answer] : 'application/json';
      assert.equal(success(documented(route.method, route.path)).type, answer, name);
    }
  });
});

// --- the types' fields, as tsc checks them against the types ---

/** `required` or `optional` per field of T, every field listed: tsc refuses a missing or extra one. */
type Fields<T> = { [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K> ? 'optional' : 'required' };
type NoFields = Record<never, never>;
/** Text, events and the OpenAPI document itself have no fields to compare. */
type ReplyFields<O extends OperationName> = Reply<O> extends string ? NoFields : O extends 'openApi' ? NoFields : Fields<Reply<O>>;
type Described<O extends OperationName> = { body: Fields<Body<O>>; query: Fields<Query<O>>; reply: ReplyFields<O> };
/** An operation's entry: only the parts that have fields (no body, no query: the key is left out). */
type Entry<O extends OperationName> = { [K in keyof Described<O> as keyof Described<O>[K] extends never ? never : K]: Described<O>[K] };

const R = 'required';
const O = 'optional';
const REVEAL = { reveal: O } as const;
const LOG = { tail: O, follow: O } as const;
const ENV_SET = { name: R, set: R } as const;
const ENV_UNSET = { name: R, unset: R } as const;
const DOCUMENT = { project: R, path: R, content: R, spec: R, sourceVersion: R, migrated: R, valid: R, diagnostics: R, runtime: R, sessionUuid: R } as const;
const ENVIRONMENT_BODY = { name: O, base_image: O, language: O, gpu_support: O, setupScript: O } as const;
const LOGIN = { token: O, username: O, password: O, next: O } as const;
const CREATED_TOKEN = { id: R, name: R, kind: R, scope: R, username: R, createdAt: R, lastUsedAt: R, expiresAt: R, token: R } as const;

const FIELDS: { [Op in OperationName]: Entry<Op> } = {
  health: { reply: { ok: R, version: R, apiVersion: R, runtime: R, runtimeDescription: R, serviceDomain: R } },
  openApi: {},
  listProjects: { reply: { projects: R } },
  createProject: { body: { path: O, name: O, starter: O }, reply: { project: R } },
  listStarters: { reply: { starters: R } },
  getProject: { reply: { project: R } },
  removeProject: { reply: { removed: R } },
  listPipelines: { reply: { pipelines: R } },
  listProjectEnv: { query: REVEAL, reply: { env: R } },
  setProjectEnv: { body: { value: R }, reply: ENV_SET },
  unsetProjectEnv: { reply: ENV_UNSET },
  listPipelineEnv: { query: REVEAL, reply: { env: R } },
  setPipelineEnv: { body: { value: R }, reply: ENV_SET },
  unsetPipelineEnv: { reply: ENV_UNSET },
  getPipeline: { reply: DOCUMENT },
  savePipeline: { body: { spec: R, expectedContent: R }, reply: DOCUMENT },
  validateDraft: { body: { spec: R, file: O }, reply: { diagnostics: R } },
  listTemplates: { reply: { runtime: R, templates: R } },
  listSessions: { query: { project: O, all: O }, reply: { sessions: R } },
  startSession: { body: { project: R, pipeline: R }, reply: { session: R } },
  getSession: { reply: { session: R, user_services: R } },
  sessionUpdates: { query: { since: O }, reply: { session: R, cursor: R, complete: R } },
  stopSession: { reply: { session: R } },
  restartSession: { body: { service: O }, reply: { session: R } },
  applySession: { reply: { diff: R, session: R } },
  sessionChanges: { reply: { diff: R } },
  serviceLogs: { query: LOG },
  sessionEvents: { query: { session: O } },
  listJobs: { query: { project: O }, reply: { jobs: R } },
  createJob: { body: { project: R, pipeline: R, name: O, params: O, parameters: O, env: O }, reply: { job: R } },
  getJob: { query: REVEAL, reply: { job: R } },
  deleteJob: { reply: { deleted: R } },
  startRun: { reply: { run: R } },
  listJobRuns: { reply: { runs: R } },
  listRuns: { query: { job: O, project: O, active: O }, reply: { runs: R } },
  getRun: { reply: { run: R } },
  cancelRun: { reply: { run: R } },
  stepLogs: { query: LOG },
  startPipelineRun: { body: { project: R, pipeline: R, steps: O }, reply: { run: R } },
  listEnvironments: { reply: { environments: R } },
  createEnvironment: { body: { ...ENVIRONMENT_BODY, name: R, base_image: R }, reply: { environment: R } },
  getEnvironment: { reply: { environment: R } },
  updateEnvironment: { body: ENVIRONMENT_BODY, reply: { environment: R } },
  deleteEnvironment: { reply: { deleted: R } },
  startBuild: { reply: { build: R } },
  cancelBuild: { reply: { build: R } },
  getBuild: { reply: { build: R } },
  buildLog: {},
  login: { body: LOGIN, reply: { user: R, csrfToken: R } },
  logout: { body: { csrf: O }, reply: { ok: R } },
  me: { reply: { user: R, csrfToken: R, authEnabled: R } },
  createToken: { body: { name: R, expiresInDays: O }, reply: CREATED_TOKEN },
  createLoginLink: { reply: CREATED_TOKEN },
  listTokens: { reply: { tokens: R } },
  revokeToken: { reply: { removed: R } },
  listUsers: { reply: { users: R } },
  createUser: { body: { username: R, password: R }, reply: { user: R } },
  deleteUser: { reply: { removed: R } },
  changePassword: { body: { password: R }, reply: { user: R } },
};

type FieldTable = Record<string, 'required' | 'optional'>;

/** A JSON Schema object's fields as a field table. */
function schemaFields(schema: Schema | undefined): FieldTable {
  const required = new Set(schema?.required ?? []);
  return Object.fromEntries(Object.keys(schema?.properties ?? {}).map((name) => [name, required.has(name) ? R : O]));
}

function sorted(table: FieldTable | undefined): FieldTable {
  return Object.fromEntries(Object.entries(table ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

describe("the types' fields and the schemas'", () => {
  for (const [name, route] of Object.entries(API_ROUTES) as Array<[OperationName, (typeof API_ROUTES)[OperationName]]>) {
    test(name, () => {
      const operation = documented(route.method, route.path);
      const entry: { body?: FieldTable; query?: FieldTable; reply?: FieldTable } = FIELDS[name];
      const body = operation.requestBody?.content['application/json']?.schema as Schema | undefined;
      assert.deepEqual(sorted(entry.body), sorted(schemaFields(body)), 'the body');
      const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
      assert.deepEqual(sorted(entry.query), sorted(Object.fromEntries(query.map((parameter) => [parameter.name, parameter.required ? R : O]))), 'the query');
      if (name !== 'openApi') assert.deepEqual(sorted(entry.reply), sorted(schemaFields(success(operation).schema)), 'the answer');
    });
  }
});

test("the API's starters are the server's (a new one must be added to the Starter type)", () => {
  const inType: Record<Starter, true> = { demo: true, empty: true };
  assert.deepEqual(Object.keys(inType).sort(), [...STARTERS].sort());
});

describe('apiPath', () => {
  test('fills path params URI-encoded and puts the rest in the query, flags as "1"', () => {
    assert.equal(apiPath('serviceLogs', { sid: 'a b', name: 'web/1', follow: true, tail: 20 }), '/api/sessions/a%20b/services/web%2F1/logs?follow=1&tail=20');
    assert.equal(apiPath('listSessions', { all: false }), '/api/sessions');
    assert.equal(apiPath('getBuild', { project: 'p', env: 'e', number: 3 }), '/api/projects/p/environments/e/builds/3');
    assert.equal(apiPath('health'), '/api/health');
  });

  test('refuses a missing path param rather than sending "undefined"', () => {
    assert.throws(() => apiPath('getSession', {} as { sid: string }), /getSession: the path param "sid" is missing/);
  });
});

// --- compile-time checks: tsc fails this file when they do not hold ---

/**
 * The server's views fit the API's types (more fields are fine: the types say what clients may
 * read). Except a service's `details`, which the session records keep as `unknown`: its shape is
 * set where a failure is recorded, and the type says the one clients read.
 */
type ServiceFields = Omit<ServiceInfo, 'details'>;
export const serverViewsFit: Array<(view: never) => unknown> = [
  (view: SessionView): Omit<SessionInfo, 'services'> & { services: ServiceFields[] } => view,
  (view: ServiceView): ServiceFields => view,
  (view: JobView): JobInfo => view,
  (view: RunView): Omit<RunInfo, 'services'> & { services: ServiceFields[] } => view,
];

/** A call's arguments follow the operation: path params required, a body where one is taken. */
export const callArgs: unknown[] = [
  [] satisfies CallArgs<'listProjects'>,
  [{ sid: 's' }] satisfies CallArgs<'getSession'>,
  [{}, { project: 'p', pipeline: 'q' }] satisfies CallArgs<'startSession'>,
  // @ts-expect-error getSession needs its sid
  [] satisfies CallArgs<'getSession'>,
  // @ts-expect-error startSession takes a body
  [{}] satisfies CallArgs<'startSession'>,
];
