import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { API_CODES, type ApiCode } from './codes.ts';
import { statusOfCode } from './error-catalogue.ts';

/** Errors of the HTTP API layer: BERTH_API_* codes, with their words from ./codes.ts. */
export class ApiError extends BerthError<ApiCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof API_CODES>) {
    super(code, renderError(API_CODES[code], params), options);
  }
}

/**
 * HTTP status for a BerthError: the one its code's catalogue declares (src/server/error-catalogue.ts),
 * so a code answers the same wherever it is thrown and renaming it cannot change its status.
 */
export function statusForError(error: BerthError): number {
  return statusOfCode(error.code);
}
