/**
 * The API contract of a real server (startTestServer): GET /api/openapi.json is a valid OpenAPI 3.1
 * document, lists every route Fastify has with its schemas, and every route that takes a body
 * answers a body of the wrong shape with 400 naming the field, never 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { startTestServer } from '../../test/support/berth.ts';
import { berthVersion } from '../shared/index.ts';
import { openApiPath, type OpenApiDocument, type Operation } from './api-contract.ts';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[] };

let app: FastifyInstance;
let token: string;
let document: OpenApiDocument;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  const started = await startTestServer({ after: (fn: () => Promise<void>) => void cleanups.push(fn) });
  app = started.server.app;
  token = started.token;
  // Public, like /api/health: no credentials.
  const answer = await app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.equal(answer.statusCode, 200, answer.body);
  document = answer.json();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Every operation of the document, with its method and OpenAPI path. */
function operations(): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ method, path, operation })));
}

/**
 * `METHOD /path` of every route Fastify serves, from its own route tree (HEAD beside GET aside):
 * each line of printRoutes adds its text to its parent's, one level per 4 characters of indent.
 */
function fastifyRoutes(): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const found = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!found) continue;
    const depth = found[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? '') + found[2]!;
    prefixes[depth] = url;
    const path = url.startsWith('/') ? url : `/${url}`;
    for (const method of found[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

describe('GET /api/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document of this Berth version', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    const { version: _version, ...versionless } = document.info;
    assert.equal((await new Validator().validate({ ...document, info: versionless })).valid, false, 'the validator refuses nothing');
    assert.equal(document.info.version, berthVersion());
  });

  test('lists every route Fastify has, each with its schemas', () => {
    const listed = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    const served = fastifyRoutes()
      .map((route) => {
        const [method, url] = route.split(' ');
        return `${method} ${openApiPath(url!)}`;
      })
      .sort();
    assert.ok(served.length > 50, `only ${served.length} routes found in printRoutes: the parser is wrong`);
    assert.deepEqual(listed, served);
    // Bodiless on purpose: everything they need is in the path.
    const bodiless = new Set([
      'post /api/auth/login-links',
      'post /api/sessions/{sid}/apply',
      'post /api/jobs/{job}/runs',
      'post /api/runs/{run}/cancel',
      'post /api/projects/{project}/environments/{env}/builds',
      'post /api/projects/{project}/environments/{env}/builds/{number}/cancel',
    ]);
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      assert.ok(operation.summary, `${where} has no summary`);
      assert.ok(Object.keys(operation.responses).some((status) => /^[23]\d\d$/.test(status)), `${where} documents no success answer`);
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual(declared.sort(), pathParams.sort(), `${where} declares other path params than its path has`);
      for (const parameter of operation.parameters ?? []) assert.equal(parameter.schema.type, 'string', `${where}: ${parameter.name} has no schema`);
      if ((method === 'post' || method === 'put') && !bodiless.has(where)) assert.ok(operation.requestBody, `${where} declares no body schema`);
    }
  });
});

/** A value of the schema's type, for the fields a body must have. */
function sample(schema: Schema): unknown {
  if (schema.anyOf) return sample(schema.anyOf[0]!);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, sample(schema.properties?.[name] ?? {})]));
    case 'array':
      return [];
    case 'boolean':
      return true;
    case 'number':
    case 'integer':
      return 1;
    default:
      return 'x';
  }
}

/** A value the schema refuses, or undefined when it takes anything. */
function wrongValue(schema: Schema): unknown {
  if (schema.anyOf) return 5;
  switch (schema.type) {
    case undefined:
      return undefined;
    case 'string':
      return { not: 'a string' };
    default:
      return 'not the right type';
  }
}

describe('a body of the wrong shape', () => {
  test('gets 400 naming the field, on every route that takes a body', async () => {
    let checked = 0;
    for (const { method, path, operation } of operations()) {
      const schema = operation.requestBody?.content['application/json']?.schema as Schema | undefined;
      if (!schema) continue;
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const send = (payload: unknown) =>
        app.inject({ method: method.toUpperCase() as 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      const expectRefusal = async (payload: unknown, field: string) => {
        const answer = await send(payload);
        const where = `${method} ${path} with ${JSON.stringify(payload)}`;
        assert.equal(answer.statusCode, 400, `${where}: ${answer.body}`);
        const { error } = answer.json() as { error: { code: string; message: string; details: Array<{ path: string }> } };
        assert.match(error.code, /^BERTH_(API|AUTH)_BAD_REQUEST$/, where);
        assert.ok(error.message.includes(field), `${where}: "${error.message}" does not name ${field}`);
        assert.ok(error.details.some((problem) => problem.path === field), `${where}: details ${JSON.stringify(error.details)} lack ${field}`);
        checked += 1;
      };
      await expectRefusal('a string, not an object', 'body');
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const wrong = wrongValue(property);
        if (wrong !== undefined) await expectRefusal({ ...(sample(schema) as object), [name]: wrong }, `body.${name}`);
      }
      const required = schema.required?.[0];
      if (required) await expectRefusal({}, `body.${required}`);
    }
    assert.ok(checked > 40, `only ${checked} refusals checked`);
  });

  test('a query of the wrong shape gets 400 naming it too', async () => {
    const answer = await app.inject({ method: 'GET', url: '/api/sessions?all=1&all=2', headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.statusCode, 400, answer.body);
    assert.match(answer.json().error.message, /^querystring\.all must be string/);
  });

  test('a cursor no answer gave gets 400 naming it', async () => {
    const answer = await app.inject({ method: 'GET', url: '/api/sessions/s1/updates?since=12', headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.statusCode, 400, answer.body);
    assert.match(answer.json().error.message, /^querystring\.since must match pattern/);
  });

  test('a bodiless POST to a route whose fields are required names the first missing one', async () => {
    const answer = await app.inject({ method: 'POST', url: '/api/sessions', headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.statusCode, 400, answer.body);
    assert.deepEqual(answer.json().error.details, [{ path: 'body.project', message: 'is required' }]);
  });
});

describe('the 400 answer', () => {
  test('says the types a field may have once, not once per alternative', async () => {
    const answer = await app.inject({ method: 'POST', url: '/api/jobs', headers: { authorization: `Bearer ${token}` }, payload: { project: 'p', pipeline: 'p', env: 5 } });
    assert.equal(answer.statusCode, 400, answer.body);
    assert.deepEqual(answer.json().error.details, [{ path: 'body.env', message: 'must be array or object' }]);
    assert.equal(answer.json().error.message, 'body.env must be array or object');
  });
});
