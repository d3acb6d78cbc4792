import { BerthError, type BerthErrorOptions, type ErrorCatalogue } from '../../shared/index.ts';

/** The auth layer's codes (BERTH_AUTH_*), each declared once with its status and cause. */
export const AUTH_CODES = {
  BERTH_AUTH_BAD_REQUEST: { status: 400, summary: 'a sign-in or user/token request lacks a field or has one of the wrong type' },
  BERTH_AUTH_BAD_ID: { status: 400, summary: 'an API token id in the URL is not a plain decimal number' },
  BERTH_AUTH_REQUIRED: { status: 401, summary: 'the request has no valid signed-in session or API token' },
  BERTH_AUTH_LOGIN_FAILED: { status: 401, summary: 'the username and password, or the token, given to sign in are wrong' },
  BERTH_AUTH_FORBIDDEN: { status: 403, summary: 'the signed-in user or token may not do this (a session token outside its session, a limited scope)' },
  BERTH_AUTH_CSRF: { status: 403, summary: "a browser request that changes something lacks this session's CSRF token or comes from another origin" },
  BERTH_AUTH_USER_NOT_FOUND: { status: 404, summary: 'no user has this name' },
  BERTH_AUTH_TOKEN_NOT_FOUND: { status: 404, summary: 'no API token has this id' },
  BERTH_AUTH_USER_EXISTS: { status: 409, summary: 'a user with this name already exists' },
  BERTH_AUTH_PASSWORD_TOO_SHORT: { status: 422, summary: 'the new password is shorter than the minimum length' },
  BERTH_AUTH_PASSWORD_TOO_LONG: { status: 422, summary: 'the new password is longer than the maximum length' },
  BERTH_AUTH_USERNAME_INVALID: { status: 422, summary: 'the username has characters or a length a username may not have' },
  BERTH_AUTH_RATE_LIMITED: { status: 429, summary: 'too many failed sign-ins came from this address; it must wait' },
  BERTH_AUTH_SESSION_UUID_INVALID: { status: 500, summary: 'Berth asked for a session token for something that is not a session uuid (a bug)' },
  BERTH_AUTH_TOKEN_FILE: { status: 500, summary: "the server cannot read or write the CLI's token file in its data directory" },
} as const satisfies ErrorCatalogue;

export type AuthCode = keyof typeof AUTH_CODES;

/**
 * Errors of the auth layer: BERTH_AUTH_* codes. `status` comes from the catalogue, so the auth
 * routes and the request hook reply the same way whatever error handler the app has.
 */
export class AuthError extends BerthError {
  declare readonly code: AuthCode;

  constructor(code: AuthCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
  }

  get status(): number {
    return AUTH_CODES[this.code].status;
  }
}

export const SIGN_IN_HINT =
  'sign in at /login; for the CLI run `berth login <server-url>` (on the server machine the CLI reads <data-dir>/cli-token by itself)';

export function authRequired(): AuthError {
  return new AuthError('BERTH_AUTH_REQUIRED', 'this request needs a signed-in user or an API token', { hint: SIGN_IN_HINT });
}

export function badRequest(message: string, hint?: string): AuthError {
  return new AuthError('BERTH_AUTH_BAD_REQUEST', message, hint === undefined ? {} : { hint });
}
