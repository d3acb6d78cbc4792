/**
 * Numeric ids in URLs, parsed strictly: `Number()` reads `0x2`, `2e0`, ` 2` and `2.0` as 2, so
 * `DELETE /api/auth/tokens/0x2` used to revoke token 2. Only plain decimal digits name a row.
 */
const DECIMAL_ID = /^[1-9][0-9]{0,14}$/;

/** The id, or undefined when `text` is not a plain positive decimal integer. */
export function strictId(text: string): number | undefined {
  return DECIMAL_ID.test(text) ? Number(text) : undefined;
}
