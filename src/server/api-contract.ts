/**
 * The API's contract, as the routes declare it: every route's params, query and body schemas (which
 * Fastify validates, see lazy-schema-compilers.ts) and its documented answers, collected as Fastify
 * registers the routes and served as an OpenAPI 3.1 document at `GET /api/openapi.json`.
 *
 * The document is generated from what Fastify actually registered (an `onRoute` hook), so a route
 * cannot be served without appearing in it, and the schemas it shows are the ones that validate.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { berthVersion } from '../shared/index.ts';
// The leaf modules, not auth/index.ts: the auth routes import the schema helpers, which import this.
import { SESSION_COOKIE } from './auth/cookies.ts';
import { isApiRequest, isPublicRoute } from './auth/guard.ts';

/** A JSON Schema object (draft 2020-12, which OpenAPI 3.1 uses), written as a plain const. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** An OpenAPI response object: what a route answers with one status. */
export interface DocumentedResponse {
  description: string;
  content?: Readonly<Record<string, { schema: JsonSchema }>>;
}

export type DocumentedResponses = Readonly<Record<number, DocumentedResponse>>;

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    /** The group the route belongs to in the document (`sessions`, `jobs`, …). */
    tags?: readonly string[];
    /**
     * The route's answers, for the OpenAPI document only: Fastify ignores this key. Not
     * `response`, which Fastify would compile into serializers with fast-json-stringify at start
     * (memory an idle server does not spend) and which would drop every field it does not declare.
     */
    documentedResponses?: DocumentedResponses;
  }
}

export interface ApiRoute {
  method: string;
  /** Fastify's pattern: `/api/sessions/:sid`. */
  url: string;
  schema: FastifySchema | undefined;
}

/** A JSON answer with the given schema. */
export function json(description: string, schema: JsonSchema = { type: 'object' }): DocumentedResponse {
  return { description, content: { 'application/json': { schema } } };
}

/** A plain-text answer (logs). */
export function text(description: string): DocumentedResponse {
  return { description, content: { 'text/plain': { schema: { type: 'string' } } } };
}

/** Berth's error envelope: what every 4xx and 5xx answer of the API carries. */
export const ERROR_ENVELOPE: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'a stable BERTH_… code to match on' },
        message: { type: 'string', description: 'what is wrong, where (a field path such as body.spec)' },
        hint: { type: 'string', description: 'what to do about it' },
        details: { description: 'machine-readable details: for a request of the wrong shape, [{ path, message }]' },
      },
    },
  },
};

/** The routes Fastify registers on `app` from now on (call it before any route is added). */
export function collectRoutes(app: FastifyInstance): ApiRoute[] {
  const routes: ApiRoute[] = [];
  app.addHook('onRoute', function recordRoute(options: RouteOptions) {
    for (const method of [options.method].flat()) {
      // Fastify adds a HEAD beside every GET: the GET's entry describes both.
      if (method === 'HEAD') continue;
      routes.push({ method, url: options.url, schema: options.schema });
    }
  });
  return routes;
}

/**
 * `GET /api/openapi.json`. Public, as `/api/health` is (auth/guard.ts lists both): it holds no
 * state and nothing the source does not say, and a client generator or API browser must be able
 * to read it before anyone signs in. Built once, on the first request, when every route exists.
 */
export function registerOpenApiRoute(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  let document: OpenApiDocument | undefined;
  app.get('/api/openapi.json', { schema: OPENAPI_ROUTE_SCHEMA }, async function openApi() {
    document ??= openApiDocument(routes);
    return document;
  });
}

const OPENAPI_ROUTE_SCHEMA: FastifySchema = {
  summary: "this document: the API's routes with their params, query, body and answers (OpenAPI 3.1)",
  tags: ['server'],
  documentedResponses: { 200: json('an OpenAPI 3.1 document', { type: 'object', required: ['openapi', 'paths'] }) },
};

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
  security: Array<Record<string, string[]>>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface Operation {
  operationId: string;
  summary?: string;
  tags?: readonly string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, DocumentedResponse | { $ref: string }>;
  security?: Array<Record<string, string[]>>;
}

export function openApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Berth API',
      version: berthVersion(),
      description:
        'The API of `berth serve`. Sign in with an API token (`Authorization: Bearer …`, from `berth login`) or the ' +
        `browser's session cookie, which also needs the X-Berth-CSRF header on POST, PUT and DELETE. Errors answer ` +
        'with `{ "error": { code, message, hint, details } }`; a request of the wrong shape gets 400 BERTH_API_BAD_REQUEST ' +
        'naming the field (`body.spec`).',
    },
    paths,
    components: {
      schemas: { Error: ERROR_ENVELOPE },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (`berth login`, POST /api/auth/tokens) or the local CLI token' },
        cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'the web session set by POST /api/auth/login' },
      },
    },
    security: [{ bearer: [] }, { cookie: [] }],
  };
}

/** Fastify's `/api/sessions/:sid` as OpenAPI's `/api/sessions/{sid}`; the UI's catch-all `/*` as `/{*}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');
}

function operation(route: ApiRoute): Operation {
  const schema = route.schema ?? {};
  const parameters = [...parametersOf(schema.params, 'path'), ...parametersOf(schema.querystring, 'query')];
  const open = !isApiRequest(route.url, route.url) || isPublicRoute(route.method, route.url);
  return {
    operationId: operationId(route),
    ...(schema.summary === undefined ? {} : { summary: schema.summary }),
    ...(schema.tags === undefined ? {} : { tags: schema.tags }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema.body === undefined ? {} : { requestBody: requestBody(schema.body as JsonSchema) }),
    responses: responses(schema, parameters.length > 0 || schema.body !== undefined, open),
    // Public routes (sign-in, health, this document, the UI's pages) need no credentials.
    ...(open ? { security: [] } : {}),
  };
}

function parametersOf(schema: unknown, where: 'path' | 'query'): Parameter[] {
  if (schema === undefined) return [];
  const object = schema as { properties?: Record<string, JsonSchema>; required?: readonly string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    // OpenAPI requires path parameters to be required; a query's are when the schema says so.
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

function requestBody(schema: JsonSchema): NonNullable<Operation['requestBody']> {
  const required = ((schema.required as readonly string[] | undefined) ?? []).length > 0;
  return { required, content: { 'application/json': { schema } } };
}

function responses(schema: FastifySchema, hasInput: boolean, open: boolean): Operation['responses'] {
  const error = (description: string) => json(description, { $ref: '#/components/schemas/Error' });
  return {
    ...Object.fromEntries(Object.entries(schema.documentedResponses ?? { 200: json('done') })),
    ...(hasInput ? { 400: error("the params, query or body do not have the route's shape (BERTH_API_BAD_REQUEST): the message and details name the field") } : {}),
    ...(open ? {} : { 401: error('no signed-in user or API token (BERTH_AUTH_REQUIRED)') }),
    default: error("an error in Berth's envelope: its code says which"),
  };
}

/** `GET /api/sessions/:sid/services/:name/logs` → `getApiSessionsSidServicesNameLogs`: stable and unique per route. */
function operationId(route: ApiRoute): string {
  const words = route.url
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1));
  return `${route.method.toLowerCase()}${words.join('') || 'Root'}${route.url.endsWith('*') ? 'Any' : ''}`;
}
