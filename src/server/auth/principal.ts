/** Who made a request, and the rule that keeps session-scoped tokens inside their session. */
import { AuthError } from './errors.ts';
import type { Scope } from './store.ts';

export type { Scope } from './store.ts';

export interface Principal {
  /** `user`: a person with a password; `token`: an API token; `anonymous`: auth is off. */
  kind: 'user' | 'token' | 'anonymous';
  /** The username, the token's name, or `anonymous`. */
  name: string;
  /** The user behind it: the person, the user who created the token, or null (CLI token, session tokens). */
  username: string | null;
  /** `admin` may do anything; `session:<uuid>` may only read that session. */
  scope: Scope;
  via: 'cookie' | 'bearer' | 'disabled';
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', name: 'anonymous', username: null, scope: 'admin', via: 'disabled' });

export function sessionScope(sessionUuid: string): Scope {
  return `session:${sessionUuid}`;
}

/** The session uuid a principal is confined to, or null when it is not confined. */
export function scopedSession(principal: Principal): string | null {
  return principal.scope.startsWith('session:') ? principal.scope.slice('session:'.length) : null;
}

/**
 * For route handlers that serve one session: throws unless the principal may reach `sessionUuid`.
 * `enabled: false` (auth off) lets everything through.
 */
export function checkSessionAccess(principal: Principal | null, sessionUuid: string, enabled: boolean): void {
  if (!enabled) return;
  if (!principal) throw new AuthError('BERTH_AUTH_REQUIRED');
  const own = scopedSession(principal);
  if (own !== null && own !== sessionUuid) {
    throw new AuthError('BERTH_AUTH_FORBIDDEN', { own, sessionUuid });
  }
}
