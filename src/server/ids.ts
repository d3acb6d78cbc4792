/**
 * Numeric ids in URLs, parsed strictly: `Number()` reads `0x2`, `2e0`, ` 2` and `2.0` as 2, so
 * `DELETE /api/auth/tokens/0x2` used to revoke token 2. Only plain decimal digits name a row.
 */
import { ApiError } from './errors.ts';

const DECIMAL_ID = /^[1-9][0-9]{0,14}$/;

/** The id, or undefined when `text` is not a plain positive decimal integer. */
export function strictId(text: string): number | undefined {
  return DECIMAL_ID.test(text) ? Number(text) : undefined;
}

const DECIMAL_COUNT = /^(0|[1-9][0-9]{0,14})$/;

/** An optional count from the query (`?tail=100`): plain decimal digits, else 400 naming the parameter. */
export function queryCount(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined) return undefined;
  if (DECIMAL_COUNT.test(text)) return Number(text);
  throw new ApiError('BERTH_API_BAD_NUMBER', { text, parameter });
}
