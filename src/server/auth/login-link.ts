/**
 * Login links: `<server>/login?token=…` with a one-day admin token. The first start prints one in
 * the banner; `berth login-link` asks the running server for a fresh one. Both build the link here.
 */
import type { AuthStore, TokenRow } from './store.ts';

export const LOGIN_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Creates a login-link token that expires in a day. */
export function createLoginLinkToken(store: AuthStore, now: number, name: string): { token: string; row: TokenRow } {
  return store.createToken({ name, kind: 'login-link', scope: 'admin', expiresAt: now + LOGIN_LINK_LIFETIME_MS });
}

/** The link to open in a browser: signs in and lands on `/`. */
export { loginLinkUrl } from '../../shared/index.ts';

/**
 * What the UI's header shows for a token principal: the CLI and login-link tokens are the server's
 * own admin, not a person, and their stored names ("first-start login link") read badly as a user.
 */
export function tokenDisplayName(row: Pick<TokenRow, 'kind' | 'name' | 'username'>): string {
  if (row.kind === 'login-link') return 'admin (login link)';
  if (row.kind === 'cli') return 'admin (local CLI token)';
  return row.username ? `${row.username} (token "${row.name}")` : row.name;
}
