// In Chromium (issue 18, point 2's fallback): a hostile page of a public service, opened by a
// signed-in user, cannot replace or delete Berth's session cookie, neither with its own Set-Cookie
// headers (the proxy drops them) nor from script (HttpOnly; planted ids are never accepted).
// What such a page can still do on the shared origin is documented in docs/security.md.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { chromiumRequirement, openChromium } from '../support/browser.ts';
import { skipUnless } from '../support/requirements.ts';
import { startTestServer } from '../support/berth.ts';

const HOSTILE_PAGE = `<!doctype html><title>loading</title><script>
  document.cookie = 'berth_session=from-script; path=/';
  document.cookie = 'berth_session=from-script-api; path=/api';
  document.cookie = 'berth_session=; path=/; max-age=0';
  document.title = 'done';
</script>`;

describe('a hostile service page in Chromium', skipUnless(chromiumRequirement), () => {
  test("cannot replace or delete Berth's session cookie", async (t) => {
    const browser = await openChromium();
    t.after(() => browser.close());
    const { server, token } = await startTestServer(t);
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
