import { BerthError } from '../shared/index.ts';

/** Errors of the HTTP API layer: BERTH_API_* codes. */
export class ApiError extends BerthError {}

/** HTTP status for a BerthError, from the code's last word: stable codes make this a table. */
export function statusForError(error: BerthError): number {
  const code = error.code;
  if (/_BAD_ID$|_BAD_NUMBER$/.test(code)) return 400;
  if (/_NOT_FOUND$|_NO_SUCH_/.test(code)) return 404;
  if (/_AUTH_REQUIRED$/.test(code)) return 401;
  if (/_FORBIDDEN$|_CSRF$/.test(code)) return 403;
  if (/_EXISTS$|_CONFLICT$|_CHANGED_ON_DISK$|_NOT_RUNNING$|_STILL_ACTIVE$/.test(code)) return 409;
  if (/_INVALID|_BAD_|_UNBALANCED$|_NOT_BUILT$|_NEEDS_|_NO_COMMAND$/.test(code)) return 422;
  // Berth lacks what the request needs (an engine, a registry): the operator's fix, not the caller's.
  if (/_NO_ENGINE$|_NO_REGISTRY$/.test(code)) return 503;
  return 500;
}
