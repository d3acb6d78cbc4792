/**
 * The built web UI, driven in Chromium as a new user would: sign in with the login token, add a
 * project by path, open its pipeline, add Redis from its template and a custom web server with
 * deliberate mistakes (shown at their fields, saving refused), fix them, save, start the session,
 * open the exposed service through its link, read logs, change one service and Apply (only that
 * one restarts), and stop. Screenshots of every page go to test-results/ui-e2e/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { freePort } from './support/ports.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import type { BerthServer } from '../src/server/index.ts';
import { writeProject } from './jobs-support.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { chromiumRequirement, ensureUiBuilt, openChromium, openUi } from './support/browser.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-results', 'ui-e2e');
const UI_TIMEOUT = 20_000;


/** A project with a two-step pipeline (for the DAG) and a page for the custom web service to serve. */
async function project(dir: string): Promise<string> {
  await mkdir(join(dir, 'site'), { recursive: true });
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>Project page</title><h1>Hello from the project directory</h1>\n');
  const prepare = randomUUID();
  const train = randomUUID();
  const step = (uuid: string, title: string, file: string, position: [number, number], incoming: string[]) => ({
    environment: randomUUID(),
    file_path: file,
    incoming_connections: incoming,
    kernel: { display_name: 'Python 3', name: 'python' },
    meta_data: { hidden: false, position },
    parameters: {},
    title,
    uuid,
  });
  const pipeline = {
    name: 'analytics',
    parameters: { greeting: 'hello' },
    settings: { auto_eviction: false, data_passing_memory_size: '1GB' },
    steps: {
      [prepare]: step(prepare, 'Prepare data', 'prepare.py', [80, 120], []),
      [train]: step(train, 'Train model', 'train.py', [380, 220], [prepare]),
    },
    uuid: randomUUID(),
    version: '1.2.3',
    services: {},
  };
  await writeFile(join(dir, 'analytics.orchest'), `${JSON.stringify(pipeline, null, 4)}\n`);
  return join(dir, 'analytics.orchest');
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The editor card of one service, found by the name in its header. */
function editor(page: Page, name: string): Locator {
  return page.locator(`li.service-editor[data-service-name="${name}"]`);
}

function serviceRow(page: Page, name: string): Locator {
  return page.locator(`li.service-row[data-service="${name}"]`);
}

async function waitForStatus(page: Page, name: string, status: string, timeout = 30_000): Promise<void> {
  await serviceRow(page, name).locator(`.badge[data-status="${status}"]`).waitFor({ timeout });
}

describe('the web UI end to end', skipUnless(chromiumRequirement, commandRequirement('redis-server', 'apt-get install redis-server'), commandRequirement('python3', 'apt-get install python3')), () => {
  test('a new user signs in, adds services with the editor, runs them, applies a change and stops', { timeout: 120_000 }, async (t) => {
    ensureUiBuilt();
    await mkdir(SHOTS, { recursive: true });
    const browser = await openChromium();
    const { context } = browser;
    // Registered before the server's hook: hooks run in order, and the browser's open event and
    // log streams must be gone before the server closes.
    let passed = false;
    const running: { server?: BerthServer } = {};
    t.after(async () => {
      // On failure, the page as it was and the sessions' states are the best clues.
      const last = context.pages()[0];
      if (!passed && last) await shot(last, 'failure').catch(() => undefined);
      if (!passed && running.server) {
        for (const session of running.server.sessions.list({ activeOnly: true })) {
          const view = running.server.sessions.get(session.uuid);
          t.diagnostic(`session ${view.status} ${view.reason ?? ''}: ${JSON.stringify(view.services.map((s) => [s.name, s.status, s.reason]))}`);
        }
      }
      await browser.close();
    });
    const { server, token } = await startTestServer(t);
    running.server = server;
    const dir = await tempDir(t, 'berth-ui-project-');
    const pipelineFile = await project(dir);
    const redisPort = await freePort();
    const webPort = await freePort();

    context.setDefaultTimeout(UI_TIMEOUT);
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // A logged-out visit goes to sign-in and comes back to the page afterwards.
    await page.goto(`${server.url}/projects`);
    await page.waitForURL(/\/login\?next=%2Fprojects$/);
    await page.getByRole('textbox', { name: 'Token' }).fill(server.loginToken ?? token);
    await shot(page, '01-sign-in');
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.waitForURL(`${server.url}/projects`);
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await shot(page, '02-projects-empty');

    // Add the project by its path.
    await page.getByLabel('Directory path').fill(dir);
    await page.getByLabel('Name (optional)').fill('analytics');
    await page.getByRole('button', { name: 'Add project' }).click();
    await page.waitForURL(`${server.url}/projects/analytics`);
    await page.getByRole('link', { name: 'analytics' }).last().waitFor();
    await page.getByText('valid', { exact: true }).waitFor();
    // A project env var: a secret, masked in the list, offered to services by name only.
    await page.getByLabel('Name', { exact: true }).fill('API_TOKEN');
    await page.getByLabel('Value', { exact: true }).fill('s3cret-value');
    await page.getByRole('button', { name: 'Add variable' }).click();
    const envRow = page.getByRole('row', { name: /API_TOKEN/ });
    await envRow.getByText('••••••••').waitFor();
    assert.doesNotMatch(await page.locator('main').innerText(), /s3cret-value/, 'the value stays masked');
    await shot(page, '03-project');

    // The pipeline: steps drawn from the file, no services yet.
    await page.getByRole('list', { name: 'Pipelines' }).getByRole('link', { name: 'analytics' }).click();
    await page.getByRole('heading', { name: 'analytics', level: 1 }).waitFor();
    await page.locator('.dag-node').nth(1).waitFor();
    assert.equal(await page.locator('.dag-node').count(), 2);
    await page.locator('.dag-edge').first().waitFor({ state: 'attached' });
    await page.getByText('This pipeline has no services.').waitFor();
    await shot(page, '04-pipeline-no-services');
    await page.getByRole('link', { name: 'Pipeline settings' }).click();
    await page.getByRole('heading', { name: 'Pipeline settings' }).waitFor();

    // Redis from its template, on a free port instead of 6379.
    await page.getByRole('button', { name: 'Add service' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a service' });
    for (const label of ['TensorBoard', 'Streamlit', 'VSCode', 'Redis', 'PostgreSQL', 'Jupyter', 'Create custom service']) {
      await picker.getByRole('button', { name: new RegExp(label, 'i') }).first().waitFor();
    }
    await shot(page, '05-template-picker');
    await picker.getByRole('button', { name: /^Redis/ }).click();
    const redis = editor(page, 'redis');
    await redis.getByLabel('Port 1').fill(String(redisPort));

    // A custom web server with two mistakes: an uppercase name and a port out of range.
    await page.getByRole('button', { name: 'Add service' }).click();
    await picker.getByRole('button', { name: /custom/i }).click();
    const custom = page.locator('li.service-editor').last();
    await custom.getByLabel('Name', { exact: true }).fill('Web');
    const web = editor(page, 'Web');
    await web.getByLabel('Image', { exact: true }).fill('python');
    await web.getByLabel('Command', { exact: true }).fill('python3');
    await web.getByLabel('Arguments', { exact: true }).fill(`-m http.server ${webPort} --bind 127.0.0.1 --directory /srv/project/site`);
    await web.getByLabel('Port 1').fill('70000');
    await web.getByText(/Mount the project directory/).click();
    await web.getByLabel('Project directory: path inside the service').fill('/srv/project');
    await web.getByRole('checkbox', { name: 'API_TOKEN' }).check();
    const exposed = web.getByRole('checkbox', { name: /Exposed/ });
    if (!(await exposed.isChecked())) await exposed.check();
    const nameError = web.locator('#' + (await web.getByLabel('Name', { exact: true }).getAttribute('id')) + '-msg');
    await nameError.filter({ hasText: /lowercase/i }).waitFor();
    const portError = web.locator('#' + (await web.getByLabel('Port 1').getAttribute('id')) + '-msg');
    await portError.filter({ hasText: /65535|range|port/i }).waitFor();
    assert.equal(await web.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
    const save = page.getByRole('button', { name: 'Save', exact: true });
    assert.equal(await save.isDisabled(), true, 'saving is refused while there are errors');
    await page.getByText(/problems? to fix before saving/).waitFor();
    await shot(page, '06-settings-errors');
    assert.doesNotMatch(await readFile(pipelineFile, 'utf8'), /"services": \{\s*"/, 'nothing was written');

    // Fix both; the future URL of the exposed port appears.
    await web.getByLabel('Name', { exact: true }).fill('web');
    const fixed = editor(page, 'web');
    await fixed.getByLabel('Port 1').fill(String(webPort));
    await fixed.getByText(`_${webPort}/`).waitFor();
    await page.getByText('Unsaved changes').waitFor();
    await save.click();
    await page.getByText('Saved to analytics.orchest').waitFor();
    const written = JSON.parse(await readFile(pipelineFile, 'utf8')) as { services: Record<string, { ports: number[]; exposed: boolean }> };
    assert.deepEqual(Object.keys(written.services).sort(), ['redis', 'web']);
    assert.deepEqual(written.services.redis!.ports, [redisPort]);
    assert.equal(written.services.web!.exposed, true);
    assert.deepEqual((written.services.web as { env_variables_inherit?: string[] }).env_variables_inherit, ['API_TOKEN']);
    assert.doesNotMatch(JSON.stringify(written), /s3cret-value/, 'secrets never reach the pipeline file');
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Parameters' }).click();
    await page.getByLabel('Pipeline parameters (JSON object)').waitFor();
    await shot(page, '07b-settings-parameters');
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Services' }).click();
    await shot(page, '07-settings-saved');

    // Start the session from the pipeline page; both services become ready.
    await page.getByRole('link', { name: 'pipeline page' }).click();
    await page.getByRole('button', { name: 'Start session' }).click();
    await waitForStatus(page, 'redis', 'ready');
    await waitForStatus(page, 'web', 'ready');
    await page.locator('.session-state .badge[data-status="running"]').waitFor();
    await shot(page, '08-session-running');

    // The exposed service through its link, on its own origin (<port>-web.<session>.localhost) and with the same sign-in.
    const link = serviceRow(page, 'web').getByRole('link', { name: new RegExp(`Open port ${webPort}`) });
    const href = await link.getAttribute('href');
    assert.match(href ?? '', new RegExp(`^http://${webPort}-web\\.[0-9a-f-]+\\.localhost:${new URL(server.url).port}/$`), href ?? '');
    const [servicePage] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await servicePage.waitForLoadState();
    await servicePage.getByRole('heading', { name: 'Hello from the project directory' }).waitFor();
    await shot(servicePage, '09-service-page');
    await servicePage.close();

    // Its logs, followed live: the request just made shows up.
    await serviceRow(page, 'web').getByRole('button', { name: 'Logs of web' }).click();
    const webLog = page.getByRole('log', { name: 'Logs of web' });
    await webLog.getByText(/"GET \/ HTTP\/1\.1" 200/).first().waitFor();
    await page.getByText('● following').waitFor();
    await shot(page, '10-logs');

    const before = server.sessions.get(server.sessions.list({ activeOnly: true })[0]!.uuid);
    const redisBefore = before.services.find((s) => s.name === 'redis')!;
    const webBefore = before.services.find((s) => s.name === 'web')!;

    // Change one service (an env var of web), save, Apply: only web restarts.
    await page.getByRole('link', { name: 'Edit services' }).click();
    await editor(page, 'web').getByRole('button', { name: /^web/ }).click();
    const webEditor = editor(page, 'web');
    await webEditor.getByRole('button', { name: 'Add variable' }).click();
    await webEditor.getByLabel('Name', { exact: true }).nth(1).fill('GREETING');
    await webEditor.getByLabel('Value', { exact: true }).fill('hi');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('The session still runs the previous version of this file.').waitFor();
    await shot(page, '11-apply-banner');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const result = page.locator('.apply-result');
    await result.waitFor();
    assert.match(await result.innerText(), /restarted web; left redis running untouched/);
    await shot(page, '12-applied');

    await page.getByRole('link', { name: 'analytics' }).last().click();
    await page.waitForURL(/\/pipelines\/analytics\.orchest$/);
    await serviceRow(page, 'web').locator(`.service-meta[data-attempt="${webBefore.attempt + 1}"]`).waitFor({ timeout: 30_000 });
    await waitForStatus(page, 'web', 'ready');
    const redisMeta = serviceRow(page, 'redis').locator('.service-meta');
    assert.equal(await redisMeta.getAttribute('data-attempt'), String(redisBefore.attempt), 'redis was not restarted');
    assert.equal(await redisMeta.getAttribute('data-started-at'), redisBefore.startedAt, 'redis kept its start time');
    const after = server.sessions.get(before.uuid);
    assert.equal(after.services.find((s) => s.name === 'redis')!.runtimeId, redisBefore.runtimeId);
    assert.notEqual(after.services.find((s) => s.name === 'web')!.runtimeId, webBefore.runtimeId);

    // The log viewer keeps the lines from before the restart.
    await serviceRow(page, 'web').getByRole('button', { name: 'Logs of web' }).click();
    await page.getByRole('log', { name: 'Logs of web' }).getByText(/"GET \/ HTTP\/1\.1" 200/).first().waitFor();
    await shot(page, '13-after-apply');

    // Restart one service by hand: only its attempt changes.
    await serviceRow(page, 'redis').getByRole('button', { name: 'Restart redis' }).click();
    await serviceRow(page, 'redis').locator(`.service-meta[data-attempt="${redisBefore.attempt + 1}"]`).waitFor({ timeout: 30_000 });
    await waitForStatus(page, 'redis', 'ready');
    assert.equal(await serviceRow(page, 'web').locator('.service-meta').getAttribute('data-attempt'), String(webBefore.attempt + 1));

    // Stop the session.
    await page.getByRole('button', { name: 'Stop session' }).click();
    await page.getByRole('button', { name: 'Start session' }).waitFor({ timeout: 30_000 });
    await waitForStatus(page, 'web', 'not running');
    await shot(page, '14-stopped');
    assert.equal(server.sessions.list({ activeOnly: true }).length, 0);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    passed = true;
  });

  test('the Services panel shows a failed service with its reason and hint, and a service that is not exposed', { timeout: 60_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t, UI_TIMEOUT);
    const { server, client, token } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-ui-project-');
    await writePipeline(dir, 'states.orchest', {
      services: {
        cache: { image: 'redis', ports: [await freePort()], exposed: false },
        broken: { image: 'x', command: 'no-such-program-berth', args: '--serve', ports: [await freePort()], exposed: true },
      },
    });
    await client.addProject(dir, 'states');
    const { session } = await client.startSession('states', 'states.orchest');
    await server.sessions.waitSettled(session.uuid, 30_000);

    // The login link that `berth serve` prints signs the browser in and lands on the page.
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/login?token=${encodeURIComponent(server.loginToken ?? token)}&next=${encodeURIComponent('/projects/states/pipelines/states.orchest')}`);
    await waitForStatus(page, 'broken', 'failed');
    await waitForStatus(page, 'cache', 'ready');
    // One failed service among ready ones: the session is degraded, not failed.
    await page.locator('.session-state .badge[data-status="degraded"]', { hasText: 'running, 1 failed' }).waitFor();
    const broken = serviceRow(page, 'broken');
    assert.match(await broken.locator('.service-problem').innerText(), /no-such-program-berth/);
    assert.ok((await broken.locator('.service-problem .hint').count()) > 0, 'the failure comes with a hint');
    await serviceRow(page, 'cache').getByText('Not exposed').waitFor();
    await shot(page, '15-failed-and-not-exposed');

    // An edit made on disk meanwhile is never overwritten: the save is refused and says why.
    await page.getByRole('link', { name: 'Edit services' }).click();
    await editor(page, 'broken').getByRole('button', { name: /^broken/ }).click();
    const file = join(dir, 'states.orchest');
    const onDisk = (await readFile(file, 'utf8')).replace('"--serve"', '"--serve --verbose"');
    await writeFile(file, onDisk);
    await editor(page, 'broken').getByLabel('Command', { exact: true }).fill('python3');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Not saved: the file changed on disk').waitFor();
    await page.getByText(/changed on disk since it was read/).waitFor();
    assert.equal(await readFile(file, 'utf8'), onDisk, 'the change made on disk survives');
    await shot(page, '15b-conflict');
    await page.getByRole('button', { name: /Reload the file/ }).click();
    await page.getByText('Saved to states.orchest').waitFor();
  });

  test('jobs: create a job, run it, follow the run and read a step log', { timeout: 60_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t, UI_TIMEOUT);
    const { server, client, token } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-ui-project-');
    await writeProject({
      dir,
      file: 'nightly.orchest',
      steps: [
        { title: 'Extract', file: 'extract.py', source: 'print("extracted 3 rows")\n' },
        { title: 'Report', file: 'report.py', source: 'print("hello from the job")\n', after: ['Extract'] },
      ],
    });
    await client.addProject(dir, 'nightly');

    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/login?token=${encodeURIComponent(server.loginToken ?? token)}&next=${encodeURIComponent('/projects/nightly')}`);
    // An environment, created from the project page (building one needs a container engine).
    await page.getByLabel('New environment name').fill('Python tools');
    await page.getByRole('button', { name: 'Create environment' }).click();
    await page.getByRole('list', { name: 'Environments' }).locator('strong', { hasText: 'Python tools' }).waitFor();
    await page.getByText('not built').waitFor();
    await shot(page, '16a-environments');
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByText('No jobs yet.').waitFor();
    await page.getByLabel('Job name (optional)').fill('nightly report');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('cell', { name: 'nightly report', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Run now nightly report' }).click();
    await page.getByRole('status').filter({ hasText: 'Started a run of nightly report' }).getByRole('link', { name: /^Follow run / }).waitFor();
    await page.locator('.badge[data-status="ready"]', { hasText: 'succeeded' }).waitFor({ timeout: 40_000 });
    await shot(page, '16b-jobs');

    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'nightly report' }).click();
    await page.getByRole('heading', { name: 'nightly report' }).waitFor();
    await page.getByRole('button', { name: 'Log of Report' }).click();
    await page.getByRole('log', { name: 'Log of Report' }).getByText('hello from the job').waitFor();
    await shot(page, '17-run');

    // Deleting the job asks first, then takes its runs with it.
    await page.goto(`${server.url}/projects/nightly/jobs`);
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Delete nightly report' }).click();
    await page.getByText('No jobs yet.').waitFor();
    assert.match(asked, /^Delete job "nightly report" with all its runs/);
    assert.deepEqual((await client.listRuns({ project: 'nightly' })).runs, []);
  });
});
