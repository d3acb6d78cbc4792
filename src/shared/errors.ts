/**
 * One error type per layer, each with a stable `BERTH_…` code that users and scripts can match on,
 * a message written for a person (what is wrong, where, how to fix it) and the original error as `cause`.
 *
 * Each layer declares its codes once, in a catalogue (`<layer>/codes.ts` or beside its error class):
 * the HTTP status the code answers with and a one-line summary of its cause. The layer's error class
 * only accepts codes of its catalogue, so a code nobody declared fails the type-check, and the server
 * reads the status from the catalogues instead of guessing it from the code's spelling.
 *
 * @example
 *   throw new SpecError('BERTH_SPEC_INVALID', 'pipeline.orchest: services.redis.ports[0]: …', { cause });
 */
export interface BerthErrorOptions {
  cause?: unknown;
  /** What the user can do about it, shown under the message by the CLI and the UI. */
  hint?: string;
  /** Machine-readable details (field paths, diagnostics, …) included in `--json` and API output. */
  details?: unknown;
}

/** One catalogue entry: what a code answers over HTTP and, in one line, the cause it names. */
export interface ErrorSpec {
  /**
   * 400 the request's shape is wrong, 401/403 who asks, 404 what it names does not exist, 409 the
   * state forbids it now, 422 well-formed but unacceptable content, 502/503/504 something Berth
   * depends on (an engine, a cluster, a service) fails or is missing, 500 a fault of the server itself.
   */
  readonly status: number;
  readonly summary: string;
}

export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/**
 * Abstract: every error is thrown through its layer's class, `class PlanError extends
 * BerthError<PlanCode> {}`, whose constructor then takes only that layer's codes.
 */
export abstract class BerthError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: Code, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Codes that belong to no layer: what nothing else explains. */
export const SHARED_CODES = {
  BERTH_INTERNAL: { status: 500, summary: 'an unexpected error (a bug in Berth, or a failure nothing else names); the message is the original one' },
  BERTH_INSTALL_NOT_FOUND: { status: 500, summary: 'the Berth installation (package.json with bin/berth.mjs) cannot be found above the running code' },
} as const satisfies ErrorCatalogue;

export type SharedCode = keyof typeof SHARED_CODES;

/** Errors of no particular layer: BERTH_INTERNAL for anything thrown that is not a BerthError. */
export class InternalError extends BerthError<SharedCode> {}

/**
 * Normalises anything thrown into a BerthError, keeping the original as `cause` and its stack.
 * `wrap` makes the error of a layer that knows better what failed (default: BERTH_INTERNAL).
 */
export function toBerthError(cause: unknown, wrap: (message: string, options: BerthErrorOptions) => BerthError = internalError): BerthError {
  if (cause instanceof BerthError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = wrap(message, { cause });
  if (cause instanceof Error && cause.stack) error.stack = cause.stack;
  return error;
}

function internalError(message: string, options: BerthErrorOptions): BerthError {
  return new InternalError('BERTH_INTERNAL', message, options);
}
