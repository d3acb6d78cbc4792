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

/**
 * Fastify's `buildValidator`: the compiler it returns hands Fastify, for each route's part, a
 * function that compiles the schema on its first call. ajv itself is loaded by the first of those.
 */
function compiledOnFirstRequest(): Builder {
  return function buildValidator(externalSchemas: unknown) {
    let compiler: PartCompiler | undefined;
    const compile = (part: RouteSchemaPart): AjvValidate => {
      compiler ??= (requireFromFastify('@fastify/ajv-compiler') as () => (schemas: unknown, options: unknown) => PartCompiler)()(externalSchemas, AJV_OPTIONS);
      return compiler(part);
    };
    return function lazyValidatorFor(part: RouteSchemaPart): Validate {
      let compiled: AjvValidate | undefined;
      const validate: Validate = function validateOnFirstRequest(data: unknown) {
        compiled ??= compile(part);
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
  };
}

export function lazySchemaCompilers(): CompilersFactory {
  return {
    buildValidator: compiledOnFirstRequest(),
    buildSerializer: loadedOnFirstUse('@fastify/fast-json-stringify-compiler'),
  } as CompilersFactory;
}
