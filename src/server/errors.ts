import { BerthError } from '../shared/index.ts';
import { type ApiCode } from './codes.ts';
import { statusOfCode } from './error-catalogue.ts';

/** Errors of the HTTP API layer: BERTH_API_* codes, declared in ./codes.ts. */
export class ApiError extends BerthError<ApiCode> {}

/**
 * HTTP status for a BerthError: the one its code's catalogue declares (src/server/error-catalogue.ts),
 * so a code answers the same wherever it is thrown and renaming it cannot change its status.
 */
export function statusForError(error: BerthError): number {
  return statusOfCode(error.code);
}
