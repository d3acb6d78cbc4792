// In Chromium (issue 18, point 2): a hostile page of a public service, opened by a signed-in user.
// By default services have their own origin (<port>-<name>.<sid>.localhost): the page can read
// nothing of Berth's, create nothing, and not touch Berth's cookie. With --service-domain off (the
// fallback where services share Berth's origin) it still cannot replace or delete Berth's session
// cookie, neither with its own Set-Cookie headers (the proxy drops them) nor from script (HttpOnly;
// planted ids are never accepted); what it can reach there is documented in docs/security.md.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromiumRequirement, openChromium } from '../support/browser.ts';
import { commandRequirement, skipUnless } from '../support/requirements.ts';
import { startTestServer, tempDir, writePipeline } from '../support/berth.ts';
import { freePort } from '../support/ports.ts';

const SECRET = 'the-secret-value-4711';

/**
 * Everything the probe did from a service page, against Berth's origin (given as ?berth=),
 * with the cookie where the browser would send it: the results land in the title as JSON.
 */
const ATTACK_PAGE = `<!doctype html><title>loading</title><script>
(async () => {
  const berth = new URLSearchParams(location.search).get('berth');
  const out = {};
  async function attempt(name, url, init) {
    try {
      const answer = await fetch(url, { credentials: 'include', ...init });
      out[name] = answer.status + ' ' + (await answer.text()).slice(0, 300);
    } catch (error) {
      out[name] = 'blocked: ' + error.message;
    }
  }
  await attempt('me', berth + '/api/auth/me');
  await attempt('sameOriginMe', '/api/auth/me');
  await attempt('secret', berth + '/api/projects/site/env?reveal=1');
  let csrf = '';
  try { csrf = JSON.parse(out.me.slice(4)).csrfToken || ''; } catch {}
  await attempt('token', berth + '/api/auth/tokens', { method: 'POST', headers: { 'content-type': 'application/json', 'x-berth-csrf': csrf }, body: '{"name":"stolen"}' });
  await attempt('simpleToken', berth + '/api/auth/tokens', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"stolen-simple"}' });
  document.cookie = 'berth_session=from-script; path=/';
  document.cookie = 'berth_session=from-script; path=/; domain=localhost';
  document.title = 'done ' + JSON.stringify(out);
})();
</script>`;

const HOSTILE_PAGE = `<!doctype html><title>loading</title><script>
  document.cookie = 'berth_session=from-script; path=/';
  document.cookie = 'berth_session=from-script-api; path=/api';
  document.cookie = 'berth_session=; path=/; max-age=0';
  document.title = 'done';
</script>`;

describe('a hostile service page in Chromium', skipUnless(chromiumRequirement), () => {
  test("on its own origin cannot read /api/auth/me or a secret, create a token, or change Berth's cookie", skipUnless(commandRequirement('python3', 'apt-get install python3')), async (t) => {
    const browser = await openChromium();
    t.after(() => browser.close());
    const dir = await tempDir(t, 'berth-hostile-');
    await writeFile(join(dir, 'evil.html'), ATTACK_PAGE);
    const webPort = await freePort();
    await writePipeline(dir, 'main.orchest', {
      services: {
        pub: {
          image: 'python',
          command: 'python3',
          args: `-m http.server ${webPort} --bind 127.0.0.1 --directory /srv/site`,
          binds: { '/project-dir': '/srv/site' },
          ports: [webPort],
          exposed: true,
          requires_authentication: false,
        },
      },
    });
    const { server, client, token } = await startTestServer(t);
    await client.addProject(dir, 'site');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${server.url}/api/projects/site/env/API_KEY`, { method: 'PUT', headers: auth, body: JSON.stringify({ value: SECRET }) })).status, 200);
    const { session } = await client.startSession('site', 'main.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.services[0]?.status, 'ready', JSON.stringify(settled.services));
    const tokensBefore = ((await (await fetch(`${server.url}/api/auth/tokens`, { headers: auth })).json()) as { tokens: unknown[] }).tokens.length;

    const page = await browser.context.newPage();
    await page.goto(`${server.url}/login?token=${token}`);
    const sessionCookie = async () => (await browser.context.cookies(server.url)).filter((c) => c.name === 'berth_session');
    const before = await sessionCookie();
    assert.equal(before.length, 1);
    // The path URL Orchest users know, as a signed-in user would open it.
    await page.goto(`${server.url}/service-pub-${session.uuid}_${webPort}/evil.html?berth=${encodeURIComponent(server.url)}`);
    assert.equal(new URL(page.url()).host, `${webPort}-pub.${session.uuid}.localhost:${new URL(server.url).port}`, 'the page runs on its own origin');
    await page.waitForFunction("document.title.startsWith('done ')");
    const results = JSON.parse((await page.title()).slice('done '.length)) as Record<string, string>;
    const everything = JSON.stringify(results);
    assert.doesNotMatch(everything, /csrfToken|"user"/, everything);
    assert.ok(!everything.includes(SECRET), everything);
    assert.match(results.me ?? '', /^blocked/, 'cross-origin reads of the API are refused by the browser (no CORS allowance)');
    assert.match(results.sameOriginMe ?? '', /^404 /, "/api on the service's own host is the service's (python answers 404)");
    const tokensAfter = ((await (await fetch(`${server.url}/api/auth/tokens`, { headers: auth })).json()) as { tokens: unknown[] }).tokens.length;
    assert.equal(tokensAfter, tokensBefore, 'no token was created');

    assert.deepEqual((await sessionCookie()).map((c) => [c.value, c.domain]), before.map((c) => [c.value, c.domain]));
    await page.goto(`${server.url}/login`);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(me, 200, 'still signed in');
  });

  test("with --service-domain off cannot replace or delete Berth's session cookie", async (t) => {
    const browser = await openChromium();
    t.after(() => browser.close());
    const { server, token } = await startTestServer(t, { serviceDomain: 'off' });
    const upstream = createServer((_req, res) => {
      res.setHeader('set-cookie', ['berth_session=from-header; Path=/', 'berth_session=; Path=/; Max-Age=0']);
      res.setHeader('content-type', 'text/html');
      res.end(HOSTILE_PAGE);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    t.after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    server.routes.set({
      basePath: '/service-pub-s1_7111',
      stripPrefix: true,
      requiresAuthentication: false,
      sessionUuid: 's1',
      service: 'pub',
      port: 7111,
      state: 'ready',
      target: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
    });

    const page = await browser.context.newPage();
    await page.goto(`${server.url}/login?token=${token}`);
    const sessionCookie = async () => (await browser.context.cookies(server.url)).filter((c) => c.name === 'berth_session' && c.path === '/');
    const before = await sessionCookie();
    assert.equal(before.length, 1);
    assert.equal(before[0]?.httpOnly, true);

    await page.goto(`${server.url}/service-pub-s1_7111/evil.html`);
    await page.waitForFunction("document.title === 'done'");

    assert.deepEqual((await sessionCookie()).map((c) => c.value), [before[0]?.value]);
    // Still signed in, whatever the page planted beside the real cookie (a more specific path is sent first).
    await page.goto(`${server.url}/login`);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(me, 200);
  });
});
