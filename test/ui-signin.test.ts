/**
 * The one sign-in page, in Chromium: the first sign-in by the login link, the header's user menu,
 * an admin adding a user on the Users page, sign-out, a wrong password shown on the same page (the
 * address bar never on /api/…), sign-in by password coming back to `next`, and the service proxy's
 * redirect landing on that same page and, after signing in, on the service.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './support/ports.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { chromiumRequirement, openUi } from './support/browser.ts';

const PASSWORD = 'a long enough password';

describe('signing in to the web UI', skipUnless(chromiumRequirement, commandRequirement('python3', 'apt-get install python3')), () => {
  test('login link, user menu, Users page, sign-out, wrong and right password, the proxy redirect', { timeout: 120_000 }, async (t) => {
    const context = await openUi(t);
    const dir = await tempDir(t, 'berth-signin-');
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>site</title><h1>The protected site</h1>\n');
    const webPort = await freePort();
    await writePipeline(dir, 'main.orchest', {
      services: {
        web: {
          image: 'python',
          command: 'python3',
          args: `-m http.server ${webPort} --bind 127.0.0.1 --directory /srv/site`,
          binds: { '/project-dir': '/srv/site' },
          ports: [webPort],
          exposed: true,
          requires_authentication: true,
        },
      },
    });
    const { server, client } = await startTestServer(t);
    assert.ok(server.loginToken, 'a first start has a login link');
    await client.addProject(dir, 'site');
    const { session } = await client.startSession('site', 'main.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.services[0]?.status, 'ready', JSON.stringify(settled.services));
    const page = await context.newPage();
    const base = server.url;

    // First sign-in: the link from the banner lands on the projects, signed in as the server's admin.
    await page.goto(`${base}/login?token=${server.loginToken}`);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    const account = page.locator('header summary');
    assert.match((await account.textContent()) ?? '', /Signed in as admin \(login link\)/);

    // The admin adds a user on the Users page.
    await account.click();
    await page.locator('header').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.equal(await page.title(), 'Users · Berth');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('tr[data-user="ada"]').waitFor();
    // At a phone's width the page does not scroll sideways (the table scrolls in its box).
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'no sideways scrolling at 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(
      (await client.request<{ users: { username: string }[] }>('GET', '/api/users')).users.map((u) => u.username),
      ['ada'],
    );

    // Sign out from the user menu: back on the sign-in page, and the UI is closed again.
    if ((await page.locator('header details[open]').count()) === 0) await account.click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/projects`);
    await page.waitForURL(`${base}/login?next=%2Fprojects`);
    await page.getByRole('heading', { name: 'Sign in to Berth' }).waitFor();

    // A wrong password: the same page with the reason, still at /login, next kept.
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /wrong username or password/);
    assert.equal(page.url(), `${base}/login?next=%2Fprojects`, 'the address bar stays on the sign-in page');
    assert.equal(await page.getByLabel('Username').inputValue(), 'ada');
    // The sign-in page at a phone's width, its error showing: no sideways scrolling, its own title.
    assert.equal(await page.title(), 'Sign in · Berth');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'the sign-in page scrolls sideways at 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    // The right password comes back to next, with the user's name in the header.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${base}/projects`);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    assert.match((await page.locator('header summary').textContent()) ?? '', /Signed in as ada/);

    // The proxy sends a signed-out browser to the same page, and signing in there opens the service.
    await context.clearCookies();
    const service = `/service-web-${session.uuid}_${webPort}/`;
    await page.goto(`${base}${service}`);
    await page.getByRole('heading', { name: 'Sign in to Berth' }).waitFor();
    assert.equal(page.url(), `${base}/login?next=${encodeURIComponent(service)}`);
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'The protected site' }).waitFor();
    // The path URL leads to the service's own origin (docs/security.md: Services on their own origin).
    assert.equal(page.url(), `http://${webPort}-web.${session.uuid}.localhost:${new URL(base).port}/`);

    // The UI's old /signin address is the same page.
    await context.clearCookies();
    await page.goto(`${base}/signin?next=%2Fusers`);
    await page.waitForURL(`${base}/login?next=%2Fusers`);
  });
});
