/**
 * One error type per layer, each with a stable `BERTH_…` code that users and scripts can match on,
 * a message written for a person (what is wrong, where), a hint (how to fix it) and the original
 * error as `cause`.
 *
 * Each layer declares its codes once, in a catalogue (`<layer>/codes.ts` or beside its error class),
 * as Fastify's `createError` does: the HTTP status the code answers with, a one-line summary of its
 * cause, and the message and hint as functions of the facts a throw site knows. A throw site names
 * the code and passes those facts, nothing else; the layer's error class only accepts codes of its
 * catalogue with the facts their message needs, so a code nobody declared or a missing fact fails
 * the type-check, and the server reads the status from the catalogues.
 *
 * @example
 *   // runtime/codes.ts
 *   BERTH_RUNTIME_PORT_IN_USE: defineError({
 *     status: 409,
 *     summary: "something on this host already listens on a service's port",
 *     message: ({ service, port }: { service: string; port: number }) => `service ${service}: port ${port} is already in use`,
 *     hint: ({ port }) => `free port ${port} or change the service's port`,
 *   }),
 *   // a throw site
 *   throw new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', { service, port }, { cause });
 */
export interface BerthErrorOptions {
  cause?: unknown;
  /** Machine-readable details (field paths, diagnostics, …) included in `--json` and API output. */
  details?: unknown;
}

/** One catalogue entry: what a code answers over HTTP, the cause it names, and its words. */
/** `Params = never` as a default: any entry, whatever facts it takes, is an ErrorSpec (parameters are contravariant). */
export interface ErrorSpec<Params = never> {
  /**
   * 400 the request's shape is wrong, 401/403 who asks, 404 what it names does not exist, 409 the
   * state forbids it now, 422 well-formed but unacceptable content, 502/503/504 something Berth
   * depends on (an engine, a cluster, a service) fails or is missing, 500 a fault of the server itself.
   */
  readonly status: number;
  /** The cause in one line, the same for every error of the code. */
  readonly summary: string;
  /** What is wrong and where, from the facts the throw site passes. */
  readonly message: (params: Params) => string;
  /** What the user can do about it, shown under the message by the CLI and the UI. */
  readonly hint?: (params: Params) => string | undefined;
}

export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/** Facts of a code without any: an empty object, and (unlike `{}`) not a string, so an old-style message cannot slip in. */
type NoParams = Record<string, never>;

/**
 * Declares one code. Its facts (`Params`) are the type of `message`'s parameter, so `hint` is typed
 * by them too; a code whose message needs none takes none.
 */
export function defineError<Params = NoParams>(spec: ErrorSpec<Params>): ErrorSpec<NoInfer<Params>> {
  return spec;
}

type ParamsOf<Spec> = Spec extends ErrorSpec<infer Params> ? Params : never;

/**
 * The arguments of a layer's error constructor: one of its codes, the facts that code's message
 * needs (optional when it needs none), and options.
 */
export type ErrorArgs<Catalogue extends ErrorCatalogue> = {
  [Code in keyof Catalogue & string]: NoParams extends ParamsOf<Catalogue[Code]>
    ? [code: Code, params?: ParamsOf<Catalogue[Code]>, options?: BerthErrorOptions]
    : [code: Code, params: ParamsOf<Catalogue[Code]>, options?: BerthErrorOptions];
}[keyof Catalogue & string];

/** The words of one error. */
export interface ErrorText {
  message: string;
  hint?: string | undefined;
}

/** The message and hint of a catalogue entry for the facts of one throw site. */
export function renderError(spec: ErrorSpec, params: unknown): ErrorText {
  // The layer's constructor has checked `params` against this code's facts (ErrorArgs).
  const facts = (params ?? {}) as never;
  return { message: spec.message(facts), hint: spec.hint?.(facts) };
}

/**
 * Abstract: every error is thrown through its layer's class, whose constructor takes only that
 * layer's codes and renders their words from its catalogue:
 *
 *   export class PlanError extends BerthError<PlanCode> {
 *     constructor(...[code, params, options]: ErrorArgs<typeof PLAN_CODES>) {
 *       super(code, renderError(PLAN_CODES[code], params), options);
 *     }
 *   }
 */
export abstract class BerthError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: Code, text: ErrorText, options: BerthErrorOptions = {}) {
    super(text.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (text.hint !== undefined) this.hint = text.hint;
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
  BERTH_INTERNAL: defineError({
    status: 500,
    summary: 'an unexpected error (a bug in Berth, or a failure nothing else names); the message is the original one',
    message: ({ message }: { message: string }) => message,
  }),
  BERTH_INSTALL_NOT_FOUND: defineError({
    status: 500,
    summary: 'the Berth installation (package.json with bin/berth.mjs) cannot be found above the running code',
    message: ({ start }: { start: string }) => `no directory above ${start} has package.json and bin/berth.mjs`,
    hint: () => 'run Berth from its checkout or image (/app), with package.json and bin/ beside src/ and dist/',
  }),
} as const satisfies ErrorCatalogue;

export type SharedCode = keyof typeof SHARED_CODES;

/** Errors of no particular layer: BERTH_INTERNAL for anything thrown that is not a BerthError. */
export class InternalError extends BerthError<SharedCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof SHARED_CODES>) {
    super(code, renderError(SHARED_CODES[code], params), options);
  }
}

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
  return new InternalError('BERTH_INTERNAL', { message }, options);
}
