/**
 * The UI's rough edges from issue 15, each proven in Chromium on the built UI: the services editor
 * asks before unsaved edits are lost and saves only the service that changed (the others' JSON
 * stays byte-identical), messages say rules in words, Redis shows its connection address instead of
 * an "Open" link, a starting session can be stopped, a never-started pipeline is not polled, the
 * file-changed note, and at 390 px no page scrolls sideways and every page has its own title.
 * Screenshots go to test-results/ui-rough-edges/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { freePort } from './support/ports.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { writeProject } from './jobs-support.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { chromiumRequirement, openUi } from './support/browser.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-results', 'ui-rough-edges');

function signInUrl(serverUrl: string, token: string, next: string): string {
  return `${serverUrl}/login?token=${encodeURIComponent(token)}&next=${encodeURIComponent(next)}`;
}

/** The page's width against the window's, with the widest offenders named so a failure says what to fix. */
const WIDTHS = `(() => {
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(-5)
    .map((el) => el.tagName.toLowerCase() + '.' + el.className + ': ' + Math.round(el.getBoundingClientRect().right));
  return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wide };
})()`;

/** Titles follow the data the page loads: wait for the expected one rather than read it once. */
async function waitForTitle(page: Page, title: string): Promise<void> {
  await page.waitForFunction(`document.title === ${JSON.stringify(title)}`).catch(async () => {
    assert.equal(await page.title(), title);
  });
}

async function firstPage(context: BrowserContext): Promise<Page> {
  return context.pages()[0] ?? (await context.newPage());
}

/** The text of `"<name>": {…}` as JSON.stringify(…, null, 4) writes it inside "services". */
function serviceBlock(name: string, service: unknown): string {
  return `"${name}": ${JSON.stringify(service, null, 4).replace(/\n/g, '\n        ')}`;
}

describe('the UI rough edges of issue 15', skipUnless(chromiumRequirement, commandRequirement('redis-server', 'apt-get install redis-server'), commandRequirement('python3', 'apt-get install python3')), () => {
  test('the services editor asks before losing edits, saves only the edited service and says rules in words', { timeout: 90_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t);
    const { server, client, token } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-ui-edges-');
    // Written by hand, without the defaults the form spells out (requires_authentication, …).
    await writePipeline(dir, 'edit.orchest', {
      name: 'editing',
      services: {
        cache: { image: 'redis', ports: [6379] },
        site: { image: 'python', command: 'python3', args: '-m http.server 8000', ports: [8000] },
        notes: { image: 'python', command: 'python3', args: '-m http.server 8001', ports: [8001], env_variables: { MODE: 'dev' } },
      },
    });
    const file = join(dir, 'edit.orchest');
    const original = await readFile(file, 'utf8');
    const before = JSON.parse(original) as { services: Record<string, Record<string, unknown>> };
    await client.addProject(dir, 'edits');

    const page = await firstPage(context);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    t.after(async () => {
      if (pageErrors.length) t.diagnostic(`page errors: ${pageErrors.join(' | ')}`);
      if (!page.isClosed()) await page.screenshot({ path: join(SHOTS, '01-editor-last.png'), fullPage: true }).catch(() => undefined);
    });
    const settings = '/projects/edits/pipelines/edit.orchest/settings?tab=services';
    await page.goto(signInUrl(server.url, server.loginToken ?? token, settings));
    await page.getByRole('heading', { name: 'Pipeline settings' }).waitFor();
    await waitForTitle(page, 'Services settings · editing · Berth');

    // The picker warns about templates whose program this machine lacks (local runtime: Postgres
    // has no host program; redis-server is installed).
    await page.getByRole('button', { name: 'Add service' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a service' });
    await picker.getByRole('button', { name: /^PostgreSQL/ }).getByText(/Will not start on this machine: the local runtime has no host program/).waitFor();
    assert.equal(await picker.getByRole('button', { name: /^Redis/ }).locator('.template-warning').count(), 0);
    await picker.getByRole('button', { name: 'Close' }).click();

    // Arguments is a growing textarea: a long command line is shown whole.
    const site = page.locator('li.service-editor[data-service-name="site"]');
    await site.getByRole('button', { name: /^site/ }).click();
    const args = site.getByLabel('Arguments', { exact: true });
    assert.equal(await args.evaluate((el) => el.tagName), 'TEXTAREA');
    const longArgs = `-m http.server 8000 --bind 127.0.0.1 --directory ${'/srv/a-rather-long-directory-name'.repeat(4)}`;
    const oneLine = await args.evaluate((el) => el.getBoundingClientRect().height);
    await args.fill(longArgs);
    const grown = await args.evaluate((el) => ({ height: el.getBoundingClientRect().height, clipped: el.scrollHeight > el.clientHeight + 1 }));
    assert.ok(grown.height > oneLine, `the field grew (${oneLine} -> ${grown.height})`);
    assert.equal(grown.clipped, false, 'no line is hidden');
    await page.getByText('Unsaved changes').waitFor();

    // Leaving by an in-app link asks; staying keeps the edit.
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'editing' }).click();
    assert.match(asked, /Leave without saving\?/);
    assert.match(page.url(), /\/settings\?tab=services$/);
    assert.equal(await args.inputValue(), longArgs);
    // Moving to the Parameters tab keeps the edits and does not ask.
    let askedAgain = false;
    const onDialog = () => {
      askedAgain = true;
    };
    page.on('dialog', onDialog);
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Parameters' }).click();
    await page.getByLabel('Pipeline parameters (JSON object)').waitFor();
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Services' }).click();
    page.off('dialog', onDialog);
    assert.equal(askedAgain, false);
    await page.getByText('Unsaved changes').waitFor();
    // Reloading or closing the tab asks too (the browser's own question).
    const unload = new Promise<string>((resolve) => {
      page.once('dialog', (dialog) => {
        resolve(dialog.type());
        void dialog.dismiss();
      });
    });
    await page.close({ runBeforeUnload: true });
    assert.equal(await unload, 'beforeunload');
    assert.equal(page.isClosed(), false, 'the page stays when the user says so');

    // A rule is said in words, not as a regular expression.
    const name = page.locator('li.service-editor[data-service-name="site"]').getByLabel('Name', { exact: true });
    const nameMessage = page.locator(`#${await name.getAttribute('id')}-msg`);
    await name.fill('Site');
    await nameMessage.filter({ hasText: /starts with a lowercase letter/ }).waitFor();
    assert.doesNotMatch(await nameMessage.innerText(), /\^\[a-z\]|\{0,25\}/);
    await page.locator('li.service-editor[data-service-name="Site"]').getByLabel('Name', { exact: true }).fill('site');

    // The Save bar stays in view on a long form.
    await page.mouse.wheel(0, 2_000);
    await page.locator('li.service-editor[data-service-name="site"] .form-footer').scrollIntoViewIfNeeded();
    const bar = await page.locator('.save-bar').boundingBox();
    assert.ok(bar && bar.y >= -1 && bar.y < 10, `the Save bar is at the top of the window (${JSON.stringify(bar)})`);
    await page.screenshot({ path: join(SHOTS, '01-editor-unsaved.png') });

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved to edit.orchest').waitFor();
    const saved = await readFile(file, 'utf8');
    const after = JSON.parse(saved) as { services: Record<string, Record<string, unknown>> };
    assert.equal(after.services.site!.args, longArgs);
    for (const untouched of ['cache', 'notes']) {
      assert.ok(saved.includes(serviceBlock(untouched, before.services[untouched])), `${untouched} is byte-identical:\n${saved}`);
      assert.equal(after.services[untouched]!.requires_authentication, undefined, `${untouched} gained no default`);
    }
    assert.equal(saved.replace(serviceBlock('site', after.services.site), ''), original.replace(serviceBlock('site', before.services.site), ''), 'only site changed');

    // Saved: leaving asks nothing.
    let askedAfterSave = false;
    page.on('dialog', (dialog) => {
      askedAfterSave = true;
      void dialog.accept();
    });
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'editing' }).click();
    await page.getByRole('heading', { name: 'editing', level: 1 }).waitFor();
    assert.equal(askedAfterSave, false);
    await waitForTitle(page, 'editing · Berth');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('Redis shows its address, a starting session can be stopped, and the page says when the file changed', { timeout: 120_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t);
    const { server, client, token } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-ui-edges-');
    const redisPort = await freePort();
    const slowPort = await freePort();
    await writePipeline(dir, 'slow.orchest', {
      name: 'slow start',
      services: {
        // Orchest's Redis template is exposed: its port is still not a web page.
        redis: { image: 'redis', ports: [redisPort], exposed: true, requires_authentication: true },
        // Never listens: the session stays "starting" until it is stopped.
        slow: { image: 'python', command: 'python3', args: '-c "import time; time.sleep(600)"', ports: [slowPort], readiness: { type: 'port', timeout_seconds: 300 } },
      },
    });
    await client.addProject(dir, 'slow');

    const page = await firstPage(context);
    const notFound: string[] = [];
    page.on('response', (response) => {
      if (/\/api\/sessions\/[0-9a-f-]+$/.test(new URL(response.url()).pathname) && response.status() === 404) notFound.push(response.url());
    });
    await page.goto(signInUrl(server.url, server.loginToken ?? token, '/projects/slow/pipelines/slow.orchest'));
    await page.getByRole('button', { name: 'Start session' }).waitFor();
    await waitForTitle(page, 'slow start · Berth');
    // A pipeline that was never started is looked up once, not polled (the old poll ran every 5 s).
    await page.waitForTimeout(6_000);
    assert.ok(notFound.length <= 1, `GET of the missing session: ${notFound.length} times`);

    await page.getByRole('button', { name: 'Start session' }).click();
    const redis = page.locator('li.service-row[data-service="redis"]');
    await redis.locator('.badge[data-status="ready"]').waitFor({ timeout: 30_000 });
    await redis.locator('.connection-address', { hasText: `:${redisPort}` }).waitFor();
    assert.equal(await redis.getByRole('link', { name: /Open/ }).count(), 0, 'no Open link to a Redis port');
    await redis.getByRole('button', { name: 'Copy the address of redis' }).waitFor();
    const meta = await redis.locator('.service-meta').innerText();
    assert.doesNotMatch(meta, /attempt/);
    assert.match(meta, /ready in [\d.]+ s/);
    await page.locator('.session-state .badge[data-status="starting"]').waitFor();
    assert.match(await page.getByTestId('session-announcer').innerText(), /redis ready/);

    // The file changes on disk while the session starts: the page says so.
    const file = join(dir, 'slow.orchest');
    const spec = JSON.parse(await readFile(file, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    spec.services.redis!.env_variables = { CHANGED: 'yes' };
    await writeFile(file, `${JSON.stringify(spec, null, 4)}\n`);
    await page.locator('.file-changed', { hasText: 'redis changed' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SHOTS, '02-starting.png'), fullPage: true });

    // Stop is offered while the session starts, and stops it.
    const stop = page.getByRole('button', { name: 'Stop session' });
    assert.equal(await stop.isEnabled(), true);
    await stop.click();
    await page.getByRole('button', { name: 'Start session' }).waitFor({ timeout: 30_000 });
    assert.equal(server.sessions.list({ activeOnly: true }).length, 0);
  });

  test('a degraded session says "running, 1 failed", and at 390 px no page scrolls sideways and each has its own title', { timeout: 120_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t);
    const { server, client, token } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-ui-edges-');
    const pipelineName = 'phone-friendly-pipeline-with-a-long-name';
    await writeProject({
      dir,
      file: 'phone.orchest',
      steps: [{ title: 'Say hello', file: 'hello.py', source: 'print("hello")\n' }],
      services: {
        cache: { name: 'cache', image: 'redis', ports: [await freePort()], exposed: true, scope: ['interactive'], order: 0 },
        broken: { name: 'broken', image: 'x', command: 'no-such-program-berth', ports: [await freePort()], exposed: false, scope: ['interactive'], order: 1 },
      },
    });
    const named = JSON.parse(await readFile(join(dir, 'phone.orchest'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'phone.orchest'), `${JSON.stringify({ ...named, name: pipelineName }, null, 4)}\n`);
    await client.addProject(dir, 'phone');
    const { session } = await client.startSession('phone', 'phone.orchest');
    await server.sessions.waitSettled(session.uuid, 30_000);
    const { job } = await client.createJob('phone', 'phone.orchest', { name: 'a nightly job with a long name' });
    const { run } = await client.startRun(job.uuid);

    const page = await firstPage(context);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(signInUrl(server.url, server.loginToken ?? token, '/projects/phone'));
    // An environment, so the Environments page has its table.
    await page.getByLabel('New environment name').fill('Python tools for the phone');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.getByRole('list', { name: 'Environments' }).locator('strong', { hasText: 'Python tools for the phone' }).waitFor();

    const pipeline = `/projects/phone/pipelines/phone.orchest`;
    const pages: { path: string; ready: (p: Page) => Promise<void> }[] = [
      { path: '/projects', ready: (p) => p.getByRole('link', { name: 'phone' }).first().waitFor() },
      { path: '/projects/phone', ready: (p) => p.getByRole('heading', { name: 'phone', level: 1 }).waitFor() },
      { path: pipeline, ready: (p) => p.locator('li.service-row[data-service="broken"] .badge[data-status="failed"]').waitFor() },
      {
        path: `${pipeline}/settings?tab=services`,
        ready: async (p) => {
          await p.locator('li.service-editor[data-service-name="cache"]').getByRole('button', { name: /^cache/ }).click();
          await p.getByText('Mount the project directory').first().waitFor();
        },
      },
      { path: `${pipeline}/settings?tab=env`, ready: (p) => p.getByText('Only this pipeline sees these').waitFor() },
      { path: `${pipeline}/settings?tab=parameters`, ready: (p) => p.getByLabel('Pipeline parameters (JSON object)').waitFor() },
      { path: '/projects/phone/jobs', ready: (p) => p.getByRole('link', { name: 'a nightly job with a long name' }).first().waitFor() },
      { path: '/projects/phone/environments', ready: (p) => p.getByRole('table', { name: 'Environments' }).waitFor() },
      { path: `/projects/phone/runs/${run.uuid}`, ready: (p) => p.getByText('Say hello').first().waitFor() },
      { path: '/projects/phone/nowhere', ready: (p) => p.getByRole('heading', { name: 'Page not found' }).waitFor() },
    ];
    const titles = new Map<string, string>();
    for (const [i, entry] of pages.entries()) {
      await page.goto(`${server.url}${entry.path}`);
      await entry.ready(page);
      const width = (await page.evaluate(WIDTHS)) as { scroll: number; inner: number; wide: string[] };
      await page.screenshot({ path: join(SHOTS, `phone-${String(i + 1).padStart(2, '0')}.png`), fullPage: true });
      assert.ok(width.scroll <= width.inner, `${entry.path} scrolls sideways at 390 px: ${width.scroll} > ${width.inner} (${width.wide.join('; ')})`);
      const title = await page.title();
      assert.match(title, / · Berth$/, `${entry.path} has its own title, not just "Berth"`);
      titles.set(entry.path, title);
      if (entry.path === pipeline) {
        await page.locator('.session-state .badge[data-status="degraded"]', { hasText: 'running, 1 failed' }).waitFor();
        const head = await page.locator('.page-head').boundingBox();
        const bar = await page.locator('.session-bar').boundingBox();
        assert.ok(head && bar && head.y + head.height <= bar.y + 1, 'the pipeline header does not overlap the session bar');
      }
    }
    assert.equal(new Set(titles.values()).size, titles.size, `every page has its own title: ${JSON.stringify([...titles])}`);
    assert.equal(titles.get(pipeline), `${pipelineName} · Berth`);
    assert.equal(titles.get(`${pipeline}/settings?tab=env`), `Environment variables settings · ${pipelineName} · Berth`);
  });
});
