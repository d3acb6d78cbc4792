/**
 * Fastify's schema compilers, loaded on first use rather than when Fastify starts. Fastify loads
 * ajv and fast-json-stringify at construction by default, and compiles every route's schemas while
 * it starts: about 8 MB of every `berth serve`'s idle memory (bench/cli), spent before a single
 * request. Here a route's schema is compiled by its first request, so registering routes with
 * schemas loads nothing (test/cli-dist.test.ts: an idle server has not loaded ajv). Resolved from
 * Fastify's own package, which depends on them.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';
import { yieldToRequests } from '../shared/index.ts';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Builder = (...args: unknown[]) => unknown;

/** What Fastify hands the validator compiler for one part (body, params, querystring) of one route. */
interface RouteSchemaPart {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
}

/** ajv's compiled function, and the shape Fastify expects back from a validator. */
type AjvValidate = ((data: unknown) => boolean) & { errors?: unknown };
type Validate = ((data: unknown) => boolean | { value: unknown }) & { errors?: unknown };
type PartCompiler = (part: RouteSchemaPart) => AjvValidate;

/**
 * ajv as Fastify configures it, except: no type coercion (a JSON body's `{"name": 3}` is a number,
 * not the string "3": the handlers refused it before the schemas came, and still should), and
 * `additionalProperties: false` refuses an unknown field instead of silently dropping it. allErrors
 * stays off, as Fastify advises: a hostile body cannot make ajv collect an error per element.
 */
const AJV_OPTIONS = { customOptions: { coerceTypes: false, removeAdditional: false }, plugins: [] };

const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

function loadedOnFirstUse(packageName: string): Builder {
  let build: Builder | undefined;
  return function buildCompiler(...args: unknown[]) {
    build ??= (requireFromFastify(packageName) as () => Builder)();
    return build(...args);
  };
}

/** What a route part's first request would do at once, done ahead in three turns of the event loop. */
type Warm = () => Promise<void>;

/**
 * Fastify's `buildValidator`: the compiler it returns hands Fastify, for each route's part, a
 * function that compiles the schema on its first call. ajv itself is loaded by the first of those,
 * or by `warm`.
 */
function compiledOnFirstRequest(): { buildValidator: Builder; warm: Warm } {
  let warmed: Promise<void> | undefined;
  const compilers: Array<() => PartCompiler> = [];
  function buildValidator(externalSchemas: unknown) {
    let compiler: PartCompiler | undefined;
    const compilerOnce = (): PartCompiler =>
      (compiler ??= (requireFromFastify('@fastify/ajv-compiler') as () => (schemas: unknown, options: unknown) => PartCompiler)()(externalSchemas, AJV_OPTIONS));
    compilers.push(compilerOnce);
    return function lazyValidatorFor(part: RouteSchemaPart): Validate {
      let compiled: AjvValidate | undefined;
      const validate: Validate = function validateOnFirstRequest(data: unknown) {
        compiled ??= compilerOnce()(part);
        // No body at all (a bodiless POST) reaches a validator as null: checked as `{}`, so a
        // missing required field is named (`body.project is required`) and handlers get an object.
        const absentBody = part.httpPart === 'body' && data === null;
        const input = absentBody ? {} : data;
        const valid = compiled(input);
        validate.errors = compiled.errors;
        return valid && absentBody ? { value: input } : valid;
      };
      return validate;
    };
  }
  /**
   * The first request of each route compiled its schemas, and the first of all also loaded ajv:
   * about 120 ms of the event loop (50 ms to load, 35 to set up, 37 for the first compile), which a
   * restarted server with sessions to recover spent on the first poll. Each step in its own turn.
   */
  function warm(): Promise<void> {
    warmed ??= (async function warmSchemaCompilers() {
      await yieldToRequests();
      requireFromFastify('@fastify/ajv-compiler');
      for (const compilerOnce of compilers) {
        await yieldToRequests();
        const compiler = compilerOnce();
        await yieldToRequests();
        compiler({ schema: { type: 'object', properties: { warm: { type: 'string' } } }, method: 'GET', url: '/', httpPart: 'querystring' });
      }
    })().catch(() => undefined); // whatever failed here fails again, with its error, in the request that needs it
    return warmed;
  }
  return { buildValidator, warm };
}

export interface SchemaCompilers {
  factory: CompilersFactory;
  /** Loads and sets up the validators' compiler ahead of the requests that need it, in turns. */
  warm: Warm;
}

export function lazySchemaCompilers(): SchemaCompilers {
  const { buildValidator, warm } = compiledOnFirstRequest();
  const factory = { buildValidator, buildSerializer: loadedOnFirstUse('@fastify/fast-json-stringify-compiler') } as CompilersFactory;
  return { factory, warm };
}
