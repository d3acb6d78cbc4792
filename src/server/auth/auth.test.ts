import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { openDatabase } from '../../store/index.ts';
import { AuthError, authMigrations, createAuth, stripSessionCookie, AUTH_OFF_WARNING, type Auth } from './index.ts';
import { lazySchemaCompilers } from '../lazy-schema-compilers.ts';

interface Harness {
  app: FastifyInstance;
  auth: Auth;
  dataDir: string;
  loginToken: string | undefined;
  warning: string | undefined;
  cliToken: string;
  clock: { now: number };
}

type After = { after: (fn: () => unknown) => void };

/** A small app shaped like Berth's server: the auth plugin plus a few API routes to guard. */
async function harness(t: After, options: { enabled?: boolean; dataDir?: string } = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-auth-'));
  if (!options.dataDir) t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = openDatabase(join(dataDir, 'berth.db'), [authMigrations]);
  t.after(() => db.close());
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const auth = createAuth({ db, dataDir, now: () => clock.now, ...(options.enabled === undefined ? {} : { enabled: options.enabled }) });
  const { loginToken, warning } = auth.bootstrap();
  // As the server builds it: its validator takes a bodiless POST (logout) as {}.
  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers().factory } });
  app.setErrorHandler(function testErrors(error, _request, reply) {
    const status = error instanceof AuthError ? error.status : 500;
    void reply.code(status).send({ error: { code: (error as AuthError).code ?? 'X', message: (error as Error).message } });
  });
  auth.register(app);
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/projects', async (request) => ({ projects: [], who: request.principal?.name }));
  app.post('/api/projects', async () => ({ created: true }));
  app.get('/api/sessions/:sid', async (request) => {
    const { sid } = request.params as { sid: string };
    auth.assertSessionAccess(request.principal, sid);
    return { session: sid };
  });
  app.get('/api/sessions/:sid/services/:name/logs', async (request) => {
    const { sid } = request.params as { sid: string };
    auth.assertSessionAccess(request.principal, sid);
    return 'log line';
  });
  app.delete('/api/sessions/:sid', async () => ({ stopped: true }));
  await app.ready();
  t.after(() => app.close());
  const cliToken = readFileSync(join(dataDir, 'cli-token'), 'utf8').trim();
  return { app, auth, dataDir, loginToken, warning, cliToken, clock };
}

function cookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const line = Array.isArray(header) ? header[0] : header;
  assert.ok(line, 'the response sets a cookie');
  return line.split(';')[0] as string;
}

async function loginWithToken(h: Harness): Promise<{ cookie: string; csrf: string }> {
  const response = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: h.loginToken } });
  assert.equal(response.statusCode, 200, response.body);
  return { cookie: cookieOf(response), csrf: response.json().csrfToken };
}

function errorOf(response: LightMyRequestResponse): { code: string; message: string; hint?: string } {
  return response.json().error;
}

const SESSION_A = '766907b5-cb1e-4e6f8c1a2b3c-1234-4abc';
const SESSION_B = '11111111-2222-3333-4444-555555555555';

describe('the API guard', () => {
  test('refuses the API without credentials and says how to sign in; health stays public', async (t) => {
    const h = await harness(t);
    const response = await h.app.inject({ method: 'GET', url: '/api/projects' });
    assert.equal(response.statusCode, 401);
    assert.equal(errorOf(response).code, 'BERTH_AUTH_REQUIRED');
    assert.equal(errorOf(response).message, 'this request needs a signed-in user or an API token');
    assert.match(errorOf(response).hint ?? '', /berth login/);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/nothing-here' })).statusCode, 401);
    // The router decodes /%61pi/projects to /api/projects and would serve it: the guard must see that too.
    const escaped = await h.app.inject({ method: 'GET', url: '/%61pi/projects' });
    assert.equal(escaped.statusCode, 401, 'an escaped path does not slip past the guard');
  });

  test('a Bearer token works and a wrong one is refused', async (t) => {
    const h = await harness(t);
    const ok = await h.app.inject({ method: 'GET', url: '/api/projects', headers: { authorization: `Bearer ${h.cliToken}` } });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().who, 'admin (local CLI token)');
    const wrong = await h.app.inject({ method: 'GET', url: '/api/projects', headers: { authorization: `Bearer ${'x'.repeat(43)}` } });
    assert.equal(wrong.statusCode, 401);
  });
});

describe('signing in', () => {
  test('a login token sets an HttpOnly SameSite=Lax cookie that then works', async (t) => {
    const h = await harness(t);
    assert.ok(h.loginToken, 'the first start returns a login token');
    const response = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: h.loginToken } });
    assert.equal(response.statusCode, 200);
    const setCookie = String(response.headers['set-cookie']);
    assert.match(setCookie, /^berth_session=[A-Za-z0-9_-]{43}; /);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Lax/);
    assert.match(setCookie, /; Path=\//);
    assert.doesNotMatch(setCookie, /Secure/, 'plain http gets no Secure flag');
    assert.equal(response.json().user.name, 'admin (login link)', 'the header shows who this is, not the token\'s stored name');
    const cookie = cookieOf(response);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 200);
    const me = await h.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    assert.equal(me.json().csrfToken, response.json().csrfToken);
    assert.equal(me.json().authEnabled, true);
  });

  test('the cookie is Secure when the request came over https', async (t) => {
    const h = await harness(t);
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { token: h.loginToken },
    });
    assert.match(String(response.headers['set-cookie']), /; Secure/);
  });

  test('/login?token= signs in and redirects, /login shows a form, a bad token shows the reason', async (t) => {
    const h = await harness(t);
    const page = await h.app.inject({ method: 'GET', url: '/login' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form method="post" action="\/login"/);
    assert.match(page.body, /npx berth login-link/, 'the page names the command that makes a new link');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    const link = await h.app.inject({ method: 'GET', url: `/login?token=${h.loginToken}&next=/projects/demo` });
    assert.equal(link.statusCode, 303);
    assert.equal(link.headers.location, '/projects/demo');
    assert.equal(link.headers['referrer-policy'], 'no-referrer');
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie: cookieOf(link) } })).statusCode, 200);
    const bad = await h.app.inject({ method: 'GET', url: `/login?token=${'a'.repeat(43)}` });
    assert.equal(bad.statusCode, 401);
    assert.match(bad.body, /this token is not valid: it may be mistyped, expired or revoked/);
  });

  test('the login link expires after 24 hours', async (t) => {
    const h = await harness(t);
    h.clock.now += 24 * 60 * 60 * 1000 + 1;
    const response = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: h.loginToken } });
    assert.equal(response.statusCode, 401);
    assert.equal(errorOf(response).code, 'BERTH_AUTH_LOGIN_FAILED');
  });

  test('next= only goes to same-origin paths: open-redirect attempts land on /', async (t) => {
    const h = await harness(t);
    for (const evil of ['//evil.com', 'https://evil.com', '/\\evil.com', '/\t/evil.com', 'javascript:alert(1)', '/%0a/evil.com/..']) {
      const response = await h.app.inject({ method: 'GET', url: `/login?token=${h.loginToken}&next=${encodeURIComponent(evil)}` });
      assert.equal(response.statusCode, 303, evil);
      const location = String(response.headers.location);
      assert.ok(location === '/' || (location.startsWith('/') && !location.startsWith('//') && !location.includes('\\')), `${evil} -> ${location}`);
      assert.ok(!/evil\.com/.test(new URL(location, 'http://berth.test').host), `${evil} -> ${location}`);
    }
    const form = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: h.loginToken as string, next: '//evil.com/x' }).toString(),
    });
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, '/');
  });

  test('a wrong password is refused, then rate-limited, and the backoff ends', async (t) => {
    const h = await harness(t);
    const admin = { authorization: `Bearer ${h.cliToken}` };
    const created = await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: 'ada', password: 'correct horse battery' } });
    assert.equal(created.statusCode, 201, created.body);
    const attempt = (password: string) => h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ada', password } });
    const wrong = await attempt('wrong password!!');
    assert.equal(wrong.statusCode, 401);
    assert.equal(errorOf(wrong).message, 'wrong username or password');
    const unknown = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: 'whatever-whatever' } });
    assert.equal(errorOf(unknown).message, 'wrong username or password', 'unknown users look the same as wrong passwords');
    for (let i = 0; i < 3; i += 1) assert.equal((await attempt('still wrong!!!')).statusCode, 401);
    const limited = await attempt('correct horse battery');
    assert.equal(limited.statusCode, 429);
    assert.equal(errorOf(limited).code, 'BERTH_AUTH_RATE_LIMITED');
    assert.match(errorOf(limited).message, /^too many failed sign-ins from 127\.0\.0\.1; try again in \d+ s$/);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    h.clock.now += 61_000;
    const ok = await attempt('correct horse battery');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().user.name, 'ada');
  });

  test('the HTML form signs in with a password and redirects; a wrong one re-renders the page', async (t) => {
    const h = await harness(t);
    await h.app.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${h.cliToken}` }, payload: { username: 'ada', password: 'correct horse battery' } });
    const form = (password: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80', host: 'localhost' },
        payload: new URLSearchParams({ username: 'ada', password, next: '/ui/sessions' }).toString(),
      });
    const bad = await form('nope nope nope');
    assert.equal(bad.statusCode, 401);
    assert.match(bad.body, /wrong username or password/);
    const good = await form('correct horse battery');
    assert.equal(good.statusCode, 303);
    assert.equal(good.headers.location, '/ui/sessions');
  });

  test('a sign-in posted from another site is refused (login CSRF)', async (t) => {
    const h = await harness(t);
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { origin: 'https://evil.example', host: '127.0.0.1:8765' },
      payload: { token: h.loginToken },
    });
    assert.equal(response.statusCode, 403);
    assert.equal(errorOf(response).code, 'BERTH_AUTH_CSRF');
  });

  test('a web session outlives the 24-hour login link but ends after 7 days', async (t) => {
    const h = await harness(t);
    const { cookie } = await loginWithToken(h);
    h.clock.now += 2 * 24 * 60 * 60 * 1000;
    const late = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { token: h.loginToken } });
    assert.equal(late.statusCode, 401, 'the link itself has expired');
    h.clock.now += 4 * 24 * 60 * 60 * 1000;
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 200);
    h.clock.now += 1 * 24 * 60 * 60 * 1000;
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 401);
  });

  test('/signin is the same page: it redirects to /login and keeps next', async (t) => {
    const h = await harness(t);
    const moved = await h.app.inject({ method: 'GET', url: '/signin?next=%2Fprojects%2Fdemo%3Fa%3D1' });
    assert.equal(moved.statusCode, 302);
    assert.equal(moved.headers.location, '/login?next=%2Fprojects%2Fdemo%3Fa%3D1');
    const evil = await h.app.inject({ method: 'GET', url: '/signin?next=%2F%2Fevil.com' });
    assert.equal(evil.headers.location, '/login');
  });

  test('a wrong password in the form re-renders the sign-in page with the reason, the username and next', async (t) => {
    const h = await harness(t);
    const admin = { authorization: `Bearer ${h.cliToken}` };
    await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: 'ada', password: 'correct horse battery' } });
    const form = await h.app.inject({
      method: 'POST',
      url: '/login?next=%2Fprojects%2Fx',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'ada', password: 'wrong wrong wrong', next: '/projects/x' }).toString(),
    });
    assert.equal(form.statusCode, 401);
    assert.match(String(form.headers['content-type']), /^text\/html/);
    assert.match(form.body, /role="alert"><strong>wrong username or password<\/strong>/);
    assert.match(form.body, /id="username" name="username" type="text" value="ada"/);
    assert.match(form.body, /name="next" value="\/projects\/x"/);
    assert.match(form.body, /action="\/login\?next=%2Fprojects%2Fx"/);
    const right = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'ada', password: 'correct horse battery', next: '/projects/x' }).toString(),
    });
    assert.equal(right.statusCode, 303);
    assert.equal(right.headers.location, '/projects/x');
  });

  test('POST /api/auth/login-links makes a one-day admin login link (admins only)', async (t) => {
    const h = await harness(t);
    const made = await h.app.inject({ method: 'POST', url: '/api/auth/login-links', headers: { authorization: `Bearer ${h.cliToken}` } });
    assert.equal(made.statusCode, 201, made.body);
    const { token, kind, expiresAt } = made.json() as { token: string; kind: string; expiresAt: string };
    assert.equal(kind, 'login-link');
    assert.equal(Date.parse(expiresAt) - h.clock.now, 24 * 60 * 60 * 1000);
    const link = await h.app.inject({ method: 'GET', url: `/login?token=${token}` });
    assert.equal(link.statusCode, 303);
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/auth/login-links' })).statusCode, 401);
  });

  test('logout needs the CSRF token of the session it ends', async (t) => {
    const h = await harness(t);
    const { cookie, csrf } = await loginWithToken(h);
    const forged = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    assert.equal(forged.statusCode, 403);
    assert.equal(errorOf(forged).code, 'BERTH_AUTH_CSRF');
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 200, 'still signed in');
    const form = await h.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf }).toString(),
    });
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, '/login');
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 401);
  });

  test('logout ends the web session', async (t) => {
    const h = await harness(t);
    const { cookie, csrf } = await loginWithToken(h);
    const out = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-berth-csrf': csrf } });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /^berth_session=; .*Max-Age=0/);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie } })).statusCode, 401);
  });
});

describe('CSRF', () => {
  test('a cookie POST needs X-Berth-CSRF and a matching Origin; Bearer requests are exempt', async (t) => {
    const h = await harness(t);
    const { cookie, csrf } = await loginWithToken(h);
    const bare = await h.app.inject({ method: 'POST', url: '/api/projects', headers: { cookie } });
    assert.equal(bare.statusCode, 403);
    assert.equal(errorOf(bare).code, 'BERTH_AUTH_CSRF');
    assert.equal(errorOf(bare).message, "POST /api/projects needs the X-Berth-CSRF header with this session's CSRF token");
    const wrong = await h.app.inject({ method: 'POST', url: '/api/projects', headers: { cookie, 'x-berth-csrf': 'guess' } });
    assert.equal(wrong.statusCode, 403);
    const ok = await h.app.inject({ method: 'POST', url: '/api/projects', headers: { cookie, 'x-berth-csrf': csrf } });
    assert.equal(ok.statusCode, 200);
    const sameOrigin = await h.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { cookie, 'x-berth-csrf': csrf, host: '127.0.0.1:8765', origin: 'http://127.0.0.1:8765' },
    });
    assert.equal(sameOrigin.statusCode, 200);
    const crossOrigin = await h.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { cookie, 'x-berth-csrf': csrf, host: '127.0.0.1:8765', origin: 'http://evil.example' },
    });
    assert.equal(crossOrigin.statusCode, 403);
    assert.equal(errorOf(crossOrigin).message, 'POST /api/projects came from http://evil.example, not from this server (127.0.0.1:8765)');
    const behindProxy = await h.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { cookie, 'x-berth-csrf': csrf, host: '127.0.0.1:8765', 'x-forwarded-host': 'berth.example.com', origin: 'https://berth.example.com' },
    });
    assert.equal(behindProxy.statusCode, 200, 'a reverse proxy may pass the original host as X-Forwarded-Host');
    const crossReferer = await h.app.inject({
      method: 'DELETE',
      url: `/api/sessions/${SESSION_A}`,
      headers: { cookie, 'x-berth-csrf': csrf, host: '127.0.0.1:8765', referer: 'http://evil.example/page' },
    });
    assert.equal(crossReferer.statusCode, 403);
    const bearer = await h.app.inject({ method: 'POST', url: '/api/projects', headers: { authorization: `Bearer ${h.cliToken}` } });
    assert.equal(bearer.statusCode, 200);
  });
});

describe('users and API tokens', () => {
  test('an admin adds, lists, re-passwords and removes users', async (t) => {
    const h = await harness(t);
    const admin = { authorization: `Bearer ${h.cliToken}` };
    const short = await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: 'ada', password: 'short' } });
    assert.equal(short.statusCode, 422);
    assert.equal(errorOf(short).message, '"password" has 5 characters; passwords need at least 12');
    const badName = await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: '../ada', password: 'long enough password' } });
    assert.equal(badName.statusCode, 422);
    assert.equal(errorOf(badName).code, 'BERTH_AUTH_USERNAME_INVALID');
    const created = await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: 'ada', password: 'first password 1' } });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().user.username, 'ada');
    assert.equal(created.json().user.passwordHash, undefined, 'the hash never leaves the server');
    const again = await h.app.inject({ method: 'POST', url: '/api/users', headers: admin, payload: { username: 'ADA', password: 'first password 1' } });
    assert.equal(again.statusCode, 409);
    assert.equal(errorOf(again).message, 'a user named ADA already exists');
    const list = await h.app.inject({ method: 'GET', url: '/api/users', headers: admin });
    assert.deepEqual(list.json().users.map((u: { username: string }) => u.username), ['ada']);

    const login = (password: string) => h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ada', password } });
    const session = await login('first password 1');
    assert.equal(session.statusCode, 200);
    const changed = await h.app.inject({ method: 'PUT', url: '/api/users/ada/password', headers: admin, payload: { password: 'second password 2' } });
    assert.equal(changed.statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie: cookieOf(session) } })).statusCode, 401, 'old sessions end');
    assert.equal((await login('first password 1')).statusCode, 401);
    const fresh = await login('second password 2');
    assert.equal(fresh.statusCode, 200);

    const removed = await h.app.inject({ method: 'DELETE', url: '/api/users/ada', headers: admin });
    assert.equal(removed.statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: { cookie: cookieOf(fresh) } })).statusCode, 401, 'their sessions end');
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/api/users', headers: admin })).json().users, []);
    const gone = await h.app.inject({ method: 'DELETE', url: '/api/users/ada', headers: admin });
    assert.equal(gone.statusCode, 404);
    assert.equal(errorOf(gone).message, 'no user named ada');
  });

  test('a signed-in user creates a named API token (as `berth login` does); revoking it ends it', async (t) => {
    const h = await harness(t);
    const { cookie, csrf } = await loginWithToken(h);
    const noCsrf = await h.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { cookie }, payload: { name: 'laptop' } });
    assert.equal(noCsrf.statusCode, 403);
    const created = await h.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { cookie, 'x-berth-csrf': csrf }, payload: { name: 'laptop' } });
    assert.equal(created.statusCode, 201);
    const { token, id } = created.json();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: bearer })).json().who, 'laptop');
    const list = await h.app.inject({ method: 'GET', url: '/api/auth/tokens', headers: bearer });
    assert.deepEqual(list.json().tokens.map((x: { name: string }) => x.name).sort(), ['first-start login link', 'laptop', 'local CLI']);
    assert.equal(JSON.stringify(list.json()).includes(token), false, 'secrets are never listed');
    assert.equal((await h.app.inject({ method: 'DELETE', url: `/api/auth/tokens/${id}`, headers: bearer })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/projects', headers: bearer })).statusCode, 401);
  });
});

describe('session-scoped tokens', () => {
  test('read their own session only, and stop working when revoked', async (t) => {
    const h = await harness(t);
    const token = h.auth.issueSessionToken(SESSION_A);
    const headers = { authorization: `Bearer ${token}` };
    const own = await h.app.inject({ method: 'GET', url: `/api/sessions/${SESSION_A}`, headers });
    assert.equal(own.statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: `/api/sessions/${SESSION_A}/services/redis/logs`, headers })).statusCode, 200);
    const other = await h.app.inject({ method: 'GET', url: `/api/sessions/${SESSION_B}`, headers });
    assert.equal(other.statusCode, 403);
    assert.equal(errorOf(other).code, 'BERTH_AUTH_FORBIDDEN');
    assert.equal(errorOf(other).message, `this token belongs to session ${SESSION_A}: it may only read /api/sessions/${SESSION_A}/…, not GET /api/sessions/${SESSION_B}`);
    for (const [method, url] of [
      ['GET', '/api/projects'],
      ['DELETE', `/api/sessions/${SESSION_A}`],
      ['GET', `/api/sessions/${SESSION_A}/../${SESSION_B}`],
      ['GET', `/api/sessions/${SESSION_A}/%2e%2e/${SESSION_B}`],
      ['GET', '/api/users'],
    ] as const) {
      assert.equal((await h.app.inject({ method, url, headers })).statusCode, 403, `${method} ${url}`);
    }
    const login = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { token } });
    assert.equal(login.statusCode, 401, 'session tokens cannot open a browser session');
    assert.throws(() => h.auth.assertSessionAccess(h.auth.authenticate(fakeRequest({ authorization: `Bearer ${token}` })), SESSION_B), { code: 'BERTH_AUTH_FORBIDDEN' });
    assert.equal(h.auth.revokeSessionTokens(SESSION_A), 1);
    assert.equal((await h.app.inject({ method: 'GET', url: `/api/sessions/${SESSION_A}`, headers })).statusCode, 401);
  });
});

describe('the service proxy check', () => {
  test('public routes are open; others need a cookie or token; session tokens only reach their session', async (t) => {
    const h = await harness(t);
    const { cookie } = await loginWithToken(h);
    const route = { requiresAuthentication: true, sessionUuid: SESSION_A };
    assert.equal(h.auth.authorizeProxy(fakeRequest({}), { requiresAuthentication: false }), 'allow');
    assert.equal(h.auth.authorizeProxy(fakeRequest({}), route), 'unauthenticated');
    assert.equal(h.auth.authorizeProxy(fakeRequest({ cookie: 'berth_session=forged' }), route), 'unauthenticated');
    assert.equal(h.auth.authorizeProxy(fakeRequest({ cookie: `other=1; ${cookie}` }), route), 'allow');
    assert.equal(h.auth.authorizeProxy(fakeRequest({ authorization: `Bearer ${h.cliToken}` }), route), 'allow');
    const scoped = { authorization: `Bearer ${h.auth.issueSessionToken(SESSION_A)}` };
    assert.equal(h.auth.authorizeProxy(fakeRequest(scoped), route), 'allow');
    assert.equal(h.auth.authorizeProxy(fakeRequest(scoped), { requiresAuthentication: true, sessionUuid: SESSION_B }), 'unauthenticated');
  });
});

describe('bootstrap and the CLI token file', () => {
  test('writes cli-token with mode 0600, is idempotent, re-creates it when missing and replaces an exposed one', async (t) => {
    const h = await harness(t);
    const file = join(h.dataDir, 'cli-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(h.cliToken, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(h.cliToken, h.loginToken);

    const again = await harness(t, { dataDir: h.dataDir });
    assert.equal(again.loginToken, undefined, 'the login link is shown once');
    assert.equal(again.cliToken, h.cliToken, 'a later start keeps the token');

    rmSync(file);
    const recreated = await harness(t, { dataDir: h.dataDir });
    assert.notEqual(recreated.cliToken, h.cliToken);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const old = await recreated.app.inject({ method: 'GET', url: '/api/projects', headers: { authorization: `Bearer ${h.cliToken}` } });
    assert.equal(old.statusCode, 401, 'the previous CLI token is revoked');

    chmodSync(file, 0o644);
    const repaired = await harness(t, { dataDir: h.dataDir });
    assert.equal(repaired.warning, `the CLI token file ${file} was readable by other users (mode 644): Berth revoked that token and wrote a new one with mode 600`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.notEqual(repaired.cliToken, recreated.cliToken);
  });
});

describe('auth disabled', () => {
  test('lets everything through and warns', async (t) => {
    const h = await harness(t, { enabled: false });
    assert.equal(h.warning, AUTH_OFF_WARNING);
    assert.match(h.warning ?? '', /^authentication is OFF \(BERTH_AUTH=off\)/);
    assert.equal(h.loginToken, undefined);
    const read = await h.app.inject({ method: 'GET', url: '/api/projects' });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().who, 'anonymous');
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/projects' })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: `/api/sessions/${SESSION_B}` })).statusCode, 200);
    assert.equal(h.auth.authorizeProxy(fakeRequest({}), { requiresAuthentication: true }), 'allow');
    const page = await h.app.inject({ method: 'GET', url: '/login?next=/ui' });
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/ui');
  });
});

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

describe('stripSessionCookie', () => {
  test('removes only Berth session cookies from what the proxy forwards', () => {
    assert.equal(stripSessionCookie('berth_session=abc; _xsrf=1; berth_session=def; theme=dark'), '_xsrf=1; theme=dark');
    assert.equal(stripSessionCookie('berth_session=abc'), undefined);
    assert.equal(stripSessionCookie(undefined), undefined);
    assert.equal(stripSessionCookie('berth_session_other=1'), 'berth_session_other=1');
  });
});
