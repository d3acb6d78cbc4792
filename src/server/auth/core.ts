/**
 * Resolving who sent a request (Bearer token or session cookie), shared by the request hook, the
 * auth routes and the proxy check. Results are remembered per request object.
 */
import type { IncomingMessage } from 'node:http';
import { cookieValues, SESSION_COOKIE } from './cookies.ts';
import { ANONYMOUS, type Principal } from './principal.ts';
import { LoginRateLimiter } from './rate-limit.ts';
import { tokenDisplayName } from './login-link.ts';
import { looksLikeToken } from './secrets.ts';
import type { AuthStore, TokenRow } from './store.ts';

export interface Resolved {
  principal: Principal;
  /** Set when the principal came from the session cookie. */
  webSession?: { id: string; csrfSecret: string };
}

export interface AuthCore {
  enabled: boolean;
  store: AuthStore;
  limiter: LoginRateLimiter;
  now: () => number;
  /** Extra CSP form-action sources for the sign-in page (the service origins, see login-page.ts). */
  loginFormActions: string | undefined;
  resolve(req: IncomingMessage): Resolved | null;
  /** Drops what `resolve` remembered for this request (after it signed in or out). */
  forget(req: IncomingMessage): void;
}

export const WEB_SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export function createCore(store: AuthStore, enabled: boolean, now: () => number, loginFormActions?: string): AuthCore {
  const seen = new WeakMap<IncomingMessage, Resolved | null>();
  return {
    enabled,
    store,
    limiter: new LoginRateLimiter(now),
    now,
    loginFormActions,
    resolve(req) {
      if (!enabled) return { principal: ANONYMOUS };
      if (seen.has(req)) return seen.get(req) ?? null;
      const resolved = resolveRequest(store, req);
      seen.set(req, resolved);
      return resolved;
    },
    forget(req) {
      seen.delete(req);
    },
  };
}

function resolveRequest(store: AuthStore, req: IncomingMessage): Resolved | null {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    // An explicit but wrong Bearer token is refused outright, never rescued by a cookie.
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    const token = match?.[1];
    if (!token || !looksLikeToken(token)) return null;
    const row = store.findLiveToken(token);
    return row ? { principal: tokenPrincipal(row, 'bearer') } : null;
  }
  for (const id of cookieValues(req, SESSION_COOKIE)) {
    if (!looksLikeToken(id)) continue;
    const session = store.findLiveWebSession(id);
    if (!session) continue;
    const webSession = { id, csrfSecret: session.csrfSecret };
    if (session.username !== null) {
      return { principal: { kind: 'user', name: session.username, username: session.username, scope: 'admin', via: 'cookie' }, webSession };
    }
    if (session.token) return { principal: tokenPrincipal(session.token, 'cookie'), webSession };
  }
  return null;
}

export function tokenPrincipal(row: TokenRow, via: 'bearer' | 'cookie'): Principal {
  return { kind: 'token', name: tokenDisplayName(row), username: row.username, scope: row.scope, via };
}

/**
 * Signing in rotates the session: every web session whose id the browser presented ends, so an id
 * planted before sign-in (session fixation, e.g. by a service page on the same origin) or kept from
 * an earlier sign-in is worthless afterwards.
 */
export function endPresentedWebSessions(store: AuthStore, req: IncomingMessage): void {
  for (const id of cookieValues(req, SESSION_COOKIE)) if (looksLikeToken(id)) store.deleteWebSession(id);
}
