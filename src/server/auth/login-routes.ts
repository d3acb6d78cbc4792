/**
 * Signing in and out: the HTML page, the login endpoint (JSON for scripts and the UI, a form post
 * for the page), logout, and "who am I".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore, Resolved } from './core.ts';
import { endPresentedWebSessions, tokenPrincipal, WEB_SESSION_LIFETIME_MS } from './core.ts';
import { clearedSessionCookie, sessionCookie } from './cookies.ts';
import { AuthError } from './errors.ts';
import { checkSameOrigin, CSRF_HEADER } from './guard.ts';
import { renderLoginPage } from './login-page.ts';
import { safeNextPath } from './next-path.ts';
import { burnPasswordCheck, verifyPassword } from './passwords.ts';
import { looksLikeToken, sameSecret } from './secrets.ts';
import type { Principal } from './principal.ts';
import * as schemas from './schemas.ts';
import type { LoginBody, LoginPageQuery, LogoutBody, NextQuery } from './schemas.ts';

export interface PrincipalView {
  kind: Principal['kind'];
  name: string;
  username: string | null;
  scope: Principal['scope'];
}

export function principalView(principal: Principal): PrincipalView {
  return { kind: principal.kind, name: principal.name, username: principal.username, scope: principal.scope };
}

type Credentials = { token: string } | { username: string; password: string };

export function registerLoginRoutes(app: FastifyInstance, core: AuthCore): void {
  // The UI's old address for signing in: one page serves both, so bookmarks and links keep working.
  app.get<{ Querystring: NextQuery }>('/signin', { schema: schemas.signinMoved }, async function signinMovedToLogin(request, reply) {
    const next = safeNextPath(request.query.next);
    return reply.redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`, 302);
  });

  app.get<{ Querystring: LoginPageQuery }>('/login', { schema: schemas.loginPage }, async function loginPage(request, reply) {
    const query = request.query;
    const next = safeNextPath(query.next);
    if (!core.enabled) return reply.redirect(next, 303);
    if (typeof query.token === 'string' && query.token !== '') {
      try {
        await signIn(core, request, reply, { token: query.token });
      } catch (error) {
        return sendPage(core, reply, next, error);
      }
      // The token sat in the URL: keep it out of the next page's Referer and out of caches.
      return reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').redirect(next, 303);
    }
    if (core.resolve(request.raw)?.webSession) return reply.redirect(next, 303);
    return sendPage(core, reply, next);
  });

  // The sign-in page posts to its own address, so after a wrong password the address bar still says /login.
  app.post<{ Body: LoginBody; Querystring: NextQuery }>('/login', { schema: schemas.loginForm }, async function loginForm(request, reply) {
    const body = request.body;
    const next = safeNextPath(body.next ?? request.query.next);
    try {
      await signIn(core, request, reply, readCredentials(body));
    } catch (error) {
      return sendPage(core, reply, next, error, typeof body.username === 'string' ? body.username : undefined);
    }
    return reply.redirect(next, 303);
  });

  app.post<{ Body: LoginBody }>('/api/auth/login', { schema: schemas.login }, async function login(request, reply) {
    const form = isForm(request);
    const body = request.body;
    const next = safeNextPath(body.next);
    let result: { principal: Principal; csrfToken: string };
    try {
      result = await signIn(core, request, reply, readCredentials(body));
    } catch (error) {
      // The form gets the same page back with the reason, so the address bar never ends on this API path.
      if (form) return sendPage(core, reply, next, error, typeof body.username === 'string' ? body.username : undefined);
      throw error;
    }
    if (form) return reply.redirect(next, 303);
    return { user: principalView(result.principal), csrfToken: result.csrfToken };
  });

  app.post<{ Body: LogoutBody }>('/api/auth/logout', { schema: schemas.logout }, async function logout(request, reply) {
    const resolved = core.resolve(request.raw);
    if (resolved?.webSession) {
      // Another site must not sign the user out: the live session's CSRF token comes as the header or a form field.
      const refusal = checkLogoutCsrf(request, resolved.webSession.csrfSecret);
      if (refusal) throw refusal;
      core.store.deleteWebSession(resolved.webSession.id);
    }
    core.forget(request.raw);
    reply.header('set-cookie', clearedSessionCookie(request.raw));
    if (isForm(request)) return reply.redirect('/login', 303);
    return { ok: true };
  });

  app.get('/api/auth/me', { schema: schemas.me }, async function me(request) {
    const resolved = core.resolve(request.raw) as Resolved;
    return {
      user: principalView(resolved.principal),
      csrfToken: resolved.webSession?.csrfSecret ?? null,
      authEnabled: core.enabled,
    };
  });
}

/**
 * Checks the credentials and opens a web session (sets the cookie). Throws AuthError on failure.
 * The attempt is counted as failed before checking, so parallel guesses cannot outrun the backoff.
 */
async function signIn(core: AuthCore, request: FastifyRequest, reply: FastifyReply, credentials: Credentials): Promise<{ principal: Principal; csrfToken: string }> {
  // Login CSRF: another site must not sign the browser in to an account of its choosing.
  const crossSite = checkSameOrigin(request.headers, 'the sign-in');
  if (crossSite) throw crossSite;
  const address = request.ip;
  const wait = core.limiter.waitFor(address);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    reply.header('retry-after', String(seconds));
    throw new AuthError('BERTH_AUTH_RATE_LIMITED', { address, seconds });
  }
  core.limiter.fail(address);
  const { store } = core;
  let principal: Principal | undefined;
  let owner: { userId: number } | { tokenId: number } | undefined;
  if ('token' in credentials) {
    const row = looksLikeToken(credentials.token) ? store.findLiveToken(credentials.token) : undefined;
    // Session-scoped tokens belong to steps and SDK calls, never to a browser.
    if (row && row.scope === 'admin') {
      principal = tokenPrincipal(row, 'cookie');
      owner = { tokenId: row.id };
    }
    if (!owner) throw new AuthError('BERTH_AUTH_LOGIN_FAILED', { via: 'token' });
  } else {
    const user = store.findUser(credentials.username);
    const ok = user ? await verifyPassword(credentials.password, user.passwordHash) : await burnPasswordCheck(credentials.password);
    if (user && ok) {
      principal = { kind: 'user', name: user.username, username: user.username, scope: 'admin', via: 'cookie' };
      owner = { userId: user.id };
    }
    if (!owner) throw new AuthError('BERTH_AUTH_LOGIN_FAILED', { via: 'password' });
  }
  core.limiter.succeed(address);
  store.pruneExpired();
  endPresentedWebSessions(store, request.raw);
  const session = store.createWebSession(owner, WEB_SESSION_LIFETIME_MS);
  core.forget(request.raw);
  reply.header('set-cookie', sessionCookie(request.raw, session.id, Math.floor(WEB_SESSION_LIFETIME_MS / 1000)));
  reply.header('cache-control', 'no-store');
  return { principal: principal as Principal, csrfToken: session.csrfSecret };
}

function readCredentials(body: Record<string, unknown>): Credentials {
  const { token, username, password } = body;
  if (typeof token === 'string' && token !== '') return { token: token.trim() };
  if (typeof username === 'string' && username !== '' && typeof password === 'string' && password !== '') {
    return { username: username.trim(), password };
  }
  throw new AuthError('BERTH_AUTH_BAD_REQUEST', { needs: 'credentials' });
}

function isForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function sendPage(core: AuthCore, reply: FastifyReply, next: string, error?: unknown, username?: string): FastifyReply {
  const status = error instanceof AuthError ? error.status : error === undefined ? 200 : 500;
  const message = error === undefined ? undefined : error instanceof AuthError ? error.message : 'sign-in failed on the server; see its log';
  const hint = error instanceof AuthError ? error.hint : undefined;
  if (error !== undefined && !(error instanceof AuthError)) reply.log.error({ err: error }, 'sign-in failed');
  const page = renderLoginPage({ next, ...(core.loginFormActions ? { formActions: core.loginFormActions } : {}), ...(message ? { error: message } : {}), ...(hint ? { hint } : {}), ...(username ? { username: username.trim() } : {}) });
  return reply.code(status).headers(page.headers).send(page.html);
}

/** Sign-out needs the session's CSRF token (X-Berth-CSRF, or the form's `csrf` field) and this origin. */
function checkLogoutCsrf(request: FastifyRequest<{ Body: LogoutBody }>, csrfSecret: string): AuthError | null {
  const header = request.headers[CSRF_HEADER];
  const field = request.body.csrf;
  const sent = (Array.isArray(header) ? header[0] : header) ?? (typeof field === 'string' ? field : undefined);
  if (!sent || !sameSecret(sent, csrfSecret)) {
    return new AuthError('BERTH_AUTH_CSRF', { missing: 'logout' });
  }
  return checkSameOrigin(request.headers, 'the sign-out');
}
