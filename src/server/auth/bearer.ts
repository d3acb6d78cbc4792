/**
 * Authorization headers that are not a well-formed Berth Bearer header but carry something shaped
 * like a Berth token (`Bearer\t<token>`, `Bearer <token>,x`, `bearer  <token> extra`). Berth refuses
 * them as credentials (core.ts parses strictly), and the proxy must still not hand them to a
 * service, which could replay the token against Berth's API.
 */
const TOKEN_RUN = /(?:^|[^A-Za-z0-9_-])([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

export function carriesTokenShapedBearer(authorization: string | undefined): boolean {
  if (authorization === undefined) return false;
  if (!/^\s*bearer(?![A-Za-z0-9_-])/i.test(authorization)) return false;
  return TOKEN_RUN.test(authorization.replace(/^\s*bearer/i, ' '));
}
