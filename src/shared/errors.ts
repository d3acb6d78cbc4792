/**
 * One error type per layer, each with a stable `BERTH_…` code that users and scripts can match on,
 * a message written for a person (what is wrong, where, how to fix it) and the original error as `cause`.
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

export class BerthError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: string, message: string, options: BerthErrorOptions = {}) {
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

/** Normalises anything thrown into a BerthError, keeping the original as `cause` and its stack. */
export function toBerthError(cause: unknown, code = 'BERTH_INTERNAL'): BerthError {
  if (cause instanceof BerthError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = new BerthError(code, message, { cause });
  if (cause instanceof Error && cause.stack) error.stack = cause.stack;
  return error;
}
