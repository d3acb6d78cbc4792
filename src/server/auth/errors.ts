import { BerthError, defineError, renderError, type ErrorArgs, type ErrorCatalogue } from '../../shared/index.ts';
import { SHAPE_HINT, shapeMessage } from '../codes.ts';
import type { ShapeProblem } from '../request-shape.ts';

/** What a session token (BERTH_TOKEN inside steps and services) may do, said whenever it oversteps. */
const SESSION_TOKEN_HINT = 'session tokens (BERTH_TOKEN inside steps and services) only read their own session; use an admin token for anything else';

/**
 * What a sign-in or user/token request gets wrong, one variant per message: the fields its route's
 * schema refused, one field the handler checks itself, or Fastify's own words (broken JSON, a body
 * too large) passed through because only Fastify knows what it refused.
 */
type BadRequest =
  | { problems: readonly ShapeProblem[] }
  | { needs: 'credentials' | 'token-name' }
  | { needs: 'token-days'; maxDays: number }
  | { needs: 'string'; field: string }
  | { framework: string };

function badRequestMessage(facts: BadRequest): string {
  if ('problems' in facts) return shapeMessage(facts.problems);
  if ('framework' in facts) return facts.framework;
  switch (facts.needs) {
    case 'credentials':
      return 'sign in with "token", or with "username" and "password"';
    case 'token-name':
      return '"name" must be a non-empty string of at most 100 characters';
    case 'token-days':
      return `"expiresInDays" must be a number of days between 0 and ${facts.maxDays}`;
    case 'string':
      return `"${facts.field}" must be a string`;
  }
}

/**
 * The auth layer's codes (BERTH_AUTH_*), each declared once with its status, cause, message and
 * hint; throw sites pass the facts (src/shared/errors.ts).
 */
export const AUTH_CODES = {
  BERTH_AUTH_BAD_REQUEST: defineError({
    status: 400,
    summary: 'a sign-in or user/token request lacks a field or has one of the wrong type',
    message: (facts: BadRequest) => badRequestMessage(facts),
    hint: (facts) =>
      'problems' in facts ? SHAPE_HINT
      : 'framework' in facts ? undefined
      : facts.needs === 'credentials' ? 'e.g. {"username": "ada", "password": "…"}'
      : facts.needs === 'token-name' ? 'name tokens after where they are used, e.g. {"name": "laptop CLI"}'
      : undefined,
  }),
  BERTH_AUTH_BAD_ID: defineError({
    status: 400,
    summary: 'an API token id in the URL is not a plain decimal number',
    message: ({ id }: { id: string }) => `token id ${JSON.stringify(id)} is not a plain decimal number`,
    hint: () => 'use the "id" that GET /api/auth/tokens lists, e.g. DELETE /api/auth/tokens/2',
  }),
  BERTH_AUTH_REQUIRED: defineError({
    status: 401,
    summary: 'the request has no valid signed-in session or API token',
    message: () => 'this request needs a signed-in user or an API token',
    hint: () => 'sign in at /login; for the CLI run `berth login <server-url>` (on the server machine the CLI reads <data-dir>/cli-token by itself)',
  }),
  BERTH_AUTH_LOGIN_FAILED: defineError({
    status: 401,
    summary: 'the username and password, or the token, given to sign in are wrong',
    /** `via`: what the sign-in gave. */
    message: ({ via }: { via: 'token' | 'password' }) => (via === 'token' ? 'this token is not valid: it may be mistyped, expired or revoked' : 'wrong username or password'),
    hint: ({ via }) =>
      via === 'token'
        ? 'login links expire after 24 hours: on the server machine, `npx berth login-link` prints a new one (or add a user with `npx berth user add NAME`)'
        : 'an admin can reset it on the Users page or with `npx berth user passwd NAME`; on the server machine `npx berth login-link` signs you in without one',
  }),
  BERTH_AUTH_FORBIDDEN: defineError({
    status: 403,
    summary: 'the signed-in user or token may not do this (a session token outside its session, a limited scope)',
    /**
     * A session token (`own`: its session) that reaches for another session, or for a request
     * outside its session's read-only routes; or a principal whose scope is not admin.
     */
    message: (
      facts:
        | { own: string; sessionUuid: string }
        | { own: string; method: string; path: string }
        | { principal: string; scope: string },
    ) =>
      'principal' in facts ? `${facts.principal} is limited to ${facts.scope} and cannot manage users or tokens`
      : 'sessionUuid' in facts ? `this token belongs to session ${facts.own} and cannot reach session ${facts.sessionUuid}`
      : `this token belongs to session ${facts.own}: it may only read /api/sessions/${facts.own}/…, not ${facts.method} ${facts.path}`,
    hint: (facts) => ('principal' in facts ? undefined : SESSION_TOKEN_HINT),
  }),
  BERTH_AUTH_CSRF: defineError({
    status: 403,
    summary: "a browser request that changes something lacks this session's CSRF token or comes from another origin",
    /**
     * Without the session's CSRF token: the sign-out, or an API request (`method`, `path`). From
     * another origin: `what` (the sign-in, the sign-out, or `METHOD /path`) came from `origin`.
     */
    message: (
      facts:
        | { missing: 'logout' }
        | { missing: 'request'; method: string; path: string }
        | { what: string; origin: string; host?: string },
    ) =>
      'what' in facts ? `${facts.what} came from ${facts.origin}, not from this server (${facts.host ?? 'no Host header'})`
      : facts.missing === 'logout' ? "signing out needs this session's CSRF token (X-Berth-CSRF header or a `csrf` form field)"
      : `${facts.method} ${facts.path} needs the X-Berth-CSRF header with this session's CSRF token`,
    hint: (facts) =>
      'what' in facts ? 'open Berth at the address you use for it; behind a reverse proxy, forward the original Host header (or X-Forwarded-Host)'
      : facts.missing === 'logout' ? 'use the Sign out button in the UI, or send csrfToken from GET /api/auth/me'
      : 'read csrfToken from POST /api/auth/login or GET /api/auth/me and send it as X-Berth-CSRF; scripts should use an API token (Authorization: Bearer) instead of the cookie',
  }),
  BERTH_AUTH_USER_NOT_FOUND: defineError({
    status: 404,
    summary: 'no user has this name',
    message: ({ username }: { username: string }) => `no user named ${username}`,
    hint: () => '`berth user list` shows the users',
  }),
  BERTH_AUTH_TOKEN_NOT_FOUND: defineError({
    status: 404,
    summary: 'no API token has this id',
    message: ({ id }: { id: string }) => `no API token with id ${id}`,
    hint: () => 'GET /api/auth/tokens lists them',
  }),
  BERTH_AUTH_USER_EXISTS: defineError({
    status: 409,
    summary: 'a user with this name already exists',
    message: ({ username }: { username: string }) => `a user named ${username} already exists`,
    hint: ({ username }) => `pick another name, or change the password with \`berth user passwd ${username}\``,
  }),
  BERTH_AUTH_PASSWORD_TOO_SHORT: defineError({
    status: 422,
    summary: 'the new password is shorter than the minimum length',
    message: ({ field, length, minimum }: { field: string; length: number; minimum: number }) => `"${field}" has ${length} characters; passwords need at least ${minimum}`,
    hint: () => 'use a longer passphrase, e.g. four random words',
  }),
  BERTH_AUTH_PASSWORD_TOO_LONG: defineError({
    status: 422,
    summary: 'the new password is longer than the maximum length',
    message: ({ field, maximum }: { field: string; maximum: number }) => `"${field}" is longer than ${maximum} characters`,
  }),
  BERTH_AUTH_USERNAME_INVALID: defineError({
    status: 422,
    summary: 'the username has characters or a length a username may not have',
    /** `username`: whatever the request sent, quoted as JSON (it may not even be a string). */
    message: ({ username }: { username: unknown }) => `username ${JSON.stringify(username)} is not valid`,
    hint: () => 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  BERTH_AUTH_RATE_LIMITED: defineError({
    status: 429,
    summary: 'too many failed sign-ins came from this address; it must wait',
    message: ({ address, seconds }: { address: string; seconds: number }) => `too many failed sign-ins from ${address}; try again in ${seconds} s`,
    hint: () => 'check the username and password, or sign in with a token',
  }),
  BERTH_AUTH_SESSION_UUID_INVALID: defineError({
    status: 500,
    summary: 'Berth asked for a session token for something that is not a session uuid (a bug)',
    message: ({ sessionUuid }: { sessionUuid: string }) => `cannot issue a token for session ${JSON.stringify(sessionUuid)}: not a session uuid`,
  }),
  BERTH_AUTH_TOKEN_FILE: defineError({
    status: 500,
    summary: "the server cannot read or write the CLI's token file in its data directory",
    /** `reason`: the file system's words. */
    message: ({ action, path, reason }: { action: 'read' | 'write'; path: string; reason: string }) => `cannot ${action} the CLI token file ${path}: ${reason}`,
    hint: () => 'check that the data directory (--data-dir) belongs to the user running `berth serve` and is writable by it',
  }),
} as const satisfies ErrorCatalogue;

export type AuthCode = keyof typeof AUTH_CODES;

/**
 * Errors of the auth layer: codes of AUTH_CODES. `status` comes from the catalogue, so the auth
 * routes and the request hook reply the same way whatever error handler the app has.
 */
export class AuthError extends BerthError<AuthCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof AUTH_CODES>) {
    super(code, renderError(AUTH_CODES[code], params), options);
  }

  get status(): number {
    return AUTH_CODES[this.code].status;
  }
}
