/**
 * Building blocks of the route schemas (routes/schemas.ts, auth/schemas.ts) and the schemas of the
 * few routes app.ts and ui.ts register. Plain JSON Schema: Fastify validates params, query and body
 * with it (lazily, lazy-schema-compilers.ts) and the OpenAPI document shows it as it is.
 *
 * The schemas check shape (which fields, of which JSON type, which are required); the handlers keep
 * the rules about values (a valid env var name, a password's length) and their specific codes.
 * Objects accept fields they do not declare, as the handlers did: a newer client's extra field is
 * not an error.
 */
import type { FastifySchema } from 'fastify';
import { json, text, type JsonSchema } from './api-contract.ts';

export { json, text };

const PARAM_DESCRIPTIONS: Record<string, string> = {
  project: "the project's name or uuid",
  pipeline: "the pipeline file's path in the project (e.g. demo.orchest) or its uuid",
  sid: "the session's uuid",
  name: 'a name (the service, or the env var)',
  env: "the environment's uuid",
  number: "the build's number, plain decimal digits",
  job: "the job's uuid",
  run: "the run's uuid",
  step: "the step's uuid or title",
  id: "the API token's id, plain decimal digits",
  username: "the user's name",
  '*': 'any path the other routes do not take: a file of the built UI, else its index.html',
};

/** Path params: all strings, all required (Fastify only matches the route with each one present). */
export function pathParams(...names: string[]): JsonSchema {
  return {
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((name) => [name, describedString(PARAM_DESCRIPTIONS[name])])),
  };
}

/** An object whose listed fields are optional. */
export function optionalFields(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties };
}

/** An object whose listed fields are all required. */
export function fields(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', required: Object.keys(properties), properties };
}

export function describedString(description?: string): JsonSchema {
  return description === undefined ? { type: 'string' } : { type: 'string', description };
}

/** A query flag: `?all=1`; any other value means off. */
export function flag(description: string): JsonSchema {
  return { type: 'string', description: `"1": ${description}` };
}

export const STRING: JsonSchema = { type: 'string' };
export const OBJECT: JsonSchema = { type: 'object' };
export const STRINGS: JsonSchema = { type: 'array', items: STRING };
export const OBJECTS: JsonSchema = { type: 'array', items: OBJECT };

/** A log's tail and follow switches (sessions' service logs, job steps' logs). */
export const LOG_QUERY: JsonSchema = optionalFields({
  tail: describedString('the last N lines only (plain decimal digits)'),
  follow: flag('keep the answer open and stream new lines until the service stops or the step ends'),
});

export const HEALTH_SCHEMA: FastifySchema = {
  summary: 'whether Berth answers, its version and runtime; public, for probes and the sign-in page',
  tags: ['server'],
  documentedResponses: {
    200: json(
      'Berth is serving',
      fields({
        ok: { type: 'boolean' },
        version: STRING,
        apiVersion: { type: 'integer' },
        runtime: describedString('local, docker or kubernetes'),
        runtimeDescription: STRING,
        serviceDomain: { type: ['string', 'null'], description: 'where services have their own origins, or null' },
      }),
    ),
  },
};

export interface UiParams {
  '*': string;
}

export const UI_SCHEMA: FastifySchema = {
  summary: "the web UI: its files, and index.html for the UI's own routes (never for /api/…, which answer 404 in JSON)",
  tags: ['ui'],
  params: pathParams('*'),
  documentedResponses: {
    200: { description: 'a file of the built UI', content: { 'text/html': { schema: STRING } } },
    304: { description: 'not modified (If-None-Match)' },
    404: json('an /api/… path no route takes, or a missing hashed asset'),
    503: { description: 'the UI is not built: a page says how to build it', content: { 'text/html': { schema: STRING } } },
  },
};
