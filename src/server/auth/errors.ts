import { BerthError, type BerthErrorOptions } from '../../shared/index.ts';

/**
 * Errors of the auth layer: BERTH_AUTH_* codes. Each carries the HTTP status it answers with, so
 * the auth routes and the request hook reply the same way whatever error handler the app has.
 */
export class AuthError extends BerthError {
  readonly status: number;

  constructor(code: string, message: string, status: number, options: BerthErrorOptions = {}) {
    super(code, message, options);
    this.status = status;
  }
}

export const SIGN_IN_HINT =
  'sign in at /login; for the CLI run `berth login <server-url>` (on the server machine the CLI reads <data-dir>/cli-token by itself)';

export function authRequired(): AuthError {
  return new AuthError('BERTH_AUTH_REQUIRED', 'this request needs a signed-in user or an API token', 401, { hint: SIGN_IN_HINT });
}

export function badRequest(message: string, hint?: string): AuthError {
  return new AuthError('BERTH_AUTH_BAD_REQUEST', message, 400, hint === undefined ? {} : { hint });
}
