/**
 * Fastify's schema compilers (ajv, fast-json-stringify), loaded when the first route with a schema
 * is set up rather than when Fastify starts. Fastify loads both at construction by default: about
 * 8 MB of every `berth serve`'s idle memory (bench/cli), spent even by routes that declare no
 * schema. Resolved from Fastify's own package, which depends on them.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Builder = (...args: unknown[]) => unknown;

const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

function loadedOnFirstUse(packageName: string): Builder {
  let build: Builder | undefined;
  return function buildCompiler(...args: unknown[]) {
    build ??= (requireFromFastify(packageName) as () => Builder)();
    return build(...args);
  };
}

export function lazySchemaCompilers(): CompilersFactory {
  return {
    buildValidator: loadedOnFirstUse('@fastify/ajv-compiler'),
    buildSerializer: loadedOnFirstUse('@fastify/fast-json-stringify-compiler'),
  } as CompilersFactory;
}
