/**
 * A request whose params, query or body do not have the shape its route's schema declares: one
 * Berth error (HTTP 400) that names the field, e.g. `body.spec must be object`, with every problem
 * as `{ path, message }` in `details`. Fastify calls the formatter with ajv's errors and the part
 * (`body`, `params`, `querystring`); without it the answer would say `body/spec`, in Fastify's words.
 */
import type { FastifySchemaValidationError } from 'fastify';
import { ApiError } from './errors.ts';

export interface ShapeProblem {
  /** Where in the request: `body.spec`, `params.project`, `querystring.tail`, `body` itself. */
  path: string;
  message: string;
}

/** Fastify's `schemaErrorFormatter` for the API: BERTH_API_BAD_REQUEST naming the fields. */
export function requestShapeError(errors: FastifySchemaValidationError[], part: string): ApiError {
  const problems = shapeProblems(errors, part);
  return new ApiError('BERTH_API_BAD_REQUEST', { problems }, { details: problems });
}

export function shapeProblems(errors: FastifySchemaValidationError[], part: string): ShapeProblem[] {
  return withoutAlternatives(errors).map((error) => shapeProblem(error, part, errors));
}

/**
 * ajv reports a value that matches none of an `anyOf` once per alternative and once more for the
 * `anyOf`: one problem is enough (`body.env must be array or object`).
 */
function withoutAlternatives(errors: FastifySchemaValidationError[]): FastifySchemaValidationError[] {
  const unions = errors.filter(isUnion);
  return errors.filter((error) => isUnion(error) || !unions.some((union) => error.schemaPath.startsWith(`${union.schemaPath}/`)));
}

function isUnion(error: FastifySchemaValidationError): boolean {
  return error.keyword === 'anyOf' || error.keyword === 'oneOf';
}

/** ajv says `must have required property 'name'` at the object: Berth says `body.name is required`. */
function shapeProblem(error: FastifySchemaValidationError, part: string, all: FastifySchemaValidationError[]): ShapeProblem {
  const at = `${part}${pointerPath(error.instancePath)}`;
  const params = error.params as Record<string, unknown>;
  if (isUnion(error)) {
    const types = all
      .filter((other) => other.keyword === 'type' && other.schemaPath.startsWith(`${error.schemaPath}/`))
      .map((other) => String((other.params as { type?: unknown }).type));
    if (types.length > 0) return { path: at, message: `must be ${types.join(' or ')}` };
  }
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { path: `${at}.${params.missingProperty}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { path: `${at}.${params.additionalProperty}`, message: 'is not a field this route takes' };
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return { path: at, message: `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}` };
  }
  return { path: at, message: error.message ?? `fails the "${error.keyword}" rule` };
}

/** A JSON pointer (`/services/0/name`) as Berth writes field paths (`.services[0].name`). */
function pointerPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}
