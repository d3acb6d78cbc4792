// Web sessions (issue 18, point 5): logout needs the CSRF token, and signing in again rotates the
// session id (the one the browser presented stops working).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../support/berth.ts';

async function signIn(url: string, token: string, cookie?: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ token }),
  });
  assert.equal(answer.status, 200);
  const set = answer.headers.get('set-cookie') ?? '';
  return { cookie: set.split(';')[0] ?? '', csrf: ((await answer.json()) as { csrfToken: string }).csrfToken };
}

async function me(url: string, cookie: string): Promise<number> {
  return (await fetch(`${url}/api/auth/me`, { headers: { cookie } })).status;
}

describe('web sessions', () => {
  test('logout without the CSRF token is refused and the session stays', async (t) => {
    const { server, token } = await startTestServer(t);
    const session = await signIn(server.url, token);
    const forged = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: session.cookie } });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'BERTH_AUTH_CSRF');
    assert.equal(await me(server.url, session.cookie), 200);
    const real = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: session.cookie, 'x-berth-csrf': session.csrf } });
    assert.equal(real.status, 200);
    assert.equal(await me(server.url, session.cookie), 401);
  });

  test('signing in again rotates the session id: the id the browser presented stops working', async (t) => {
    const { server, token } = await startTestServer(t);
    const first = await signIn(server.url, token);
    const second = await signIn(server.url, token, first.cookie);
    assert.notEqual(second.cookie, first.cookie);
    assert.equal(await me(server.url, second.cookie), 200);
    assert.equal(await me(server.url, first.cookie), 401);
  });
});
