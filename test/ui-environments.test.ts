/**
 * The Environments page and the job form of the built web UI, in Chromium against a real server on
 * the local runtime whose engine lookup is pointed at a socket that does not exist: create an
 * environment, see "not built", edit its setup script (saved to the project; an empty base image
 * refused at its field), see the clear "no container engine" message when building; then create a
 * job from a pipeline with a changed parameter, an overridden and an extra env var, run it, and read
 * both in the step's log. Screenshots go to test-results/ui-environments/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestServer, tempDir } from './support/berth.ts';
import { writeProject } from './jobs-support.ts';
import { commandRequirement, skipUnless, type Requirement } from './support/requirements.ts';
import { chromiumRequirement, ensureUiBuilt, openChromium, openUi } from './support/browser.ts';
import { engines, removeTestImages } from '../src/runtime/docker/test-helpers.ts';
import { createDockerClient } from '../src/runtime/docker/client.ts';
import { imageExists } from '../src/runtime/docker/images.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-results', 'ui-environments');
const UI_TIMEOUT = 20_000;


async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** At 1280 px nothing may push the page sideways. */
async function assertNoHorizontalOverflow(page: Page, where: string): Promise<void> {
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  assert.ok(width <= 1280, `${where}: the page is ${width}px wide at a 1280px viewport`);
}

/** The live build needs an engine with the base image the environment build tests use (ci/setup-engines.sh). */
const BUILD_BASE = 'localhost/debian:bookworm';
const engine = (await engines()).find((e) => e.requirement.ok);
const baseImageRequirement: Requirement = {
  ok: engine !== undefined && (await imageExists(createDockerClient(engine.socketPath), BUILD_BASE).catch(() => false)),
  what: `a container engine with ${BUILD_BASE}`,
  fix: 'bash ci/setup-engines.sh',
};

const GREET = [
  'import os, orchest',
  'print("greeting:", orchest.get_pipeline_param("greeting"))',
  'print("times:", orchest.get_step_param("times"))',
  'for name in ("PROJECT_TOKEN", "STYLE", "EXTRA_VAR"):',
  '    print(f"{name}={os.environ.get(name)}")',
  '',
].join('\n');

describe('the web UI: environments and jobs', skipUnless(chromiumRequirement, commandRequirement('python3', 'apt-get install python3')), () => {
  test('edit an environment, meet the no-engine message, run a job with changed parameters and env vars', { timeout: 120_000 }, async (t) => {
    ensureUiBuilt();
    await mkdir(SHOTS, { recursive: true });
    const browser = await openChromium();
    const { context } = browser;
    let passed = false;
    // Registered before the server's hook: the browser's log streams must end before the server closes.
    t.after(async () => {
      const last = context.pages()[0];
      if (!passed && last) await shot(last, 'failure').catch(() => undefined);
      await browser.close();
    });
    context.setDefaultTimeout(UI_TIMEOUT);
    // Builds look for the engine at this socket only, and nothing answers there.
    const { server, client, token } = await startTestServer(t, { dockerHost: 'unix:///nonexistent.sock' });
    const dir = await tempDir(t, 'berth-ui-envs-');
    await writeProject({
      dir,
      file: 'greet.orchest',
      parameters: { greeting: 'hello' },
      steps: [{ title: 'Greet', file: 'greet.py', source: GREET, parameters: { times: 1 } }],
    });
    await client.addProject(dir, 'greetings');
    await client.setEnv('greetings', 'PROJECT_TOKEN', 'from-the-project');
    await client.setEnv('greetings', 'STYLE', 'formal', 'greet.orchest');

    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/login?token=${encodeURIComponent(server.loginToken ?? token)}&next=${encodeURIComponent('/projects/greetings/environments')}`);
    await page.getByRole('heading', { name: 'Environments', level: 1 }).waitFor();
    await page.getByText('No environments in this project yet.').waitFor();

    // Create one: the page opens its editor, and the list says it was never built.
    const create = page.getByRole('form', { name: 'New environment' });
    await create.getByLabel('Name').fill('Python tools');
    await create.getByLabel('Base image').fill('python:3.12-slim');
    await create.getByRole('button', { name: 'Create environment' }).click();
    const edit = page.getByRole('form', { name: 'Edit Python tools' });
    await edit.waitFor();
    const uuid = new URL(page.url()).searchParams.get('env');
    assert.ok(uuid, 'the chosen environment is in the URL');
    const table = page.getByRole('table', { name: 'Environments' });
    await table.getByRole('link', { name: 'Python tools' }).waitFor();
    await table.getByText('not built').waitFor();
    await page.getByRole('region', { name: 'Builds of Python tools' }).getByText('not built').waitFor();
    await shot(page, '01-environment-created');

    // An empty base image is refused at its field, and nothing is written.
    const scriptFile = join(dir, '.orchest', 'environments', uuid, 'setup_script.sh');
    const before = await readFile(scriptFile, 'utf8');
    await edit.getByLabel('Base image').fill('');
    await edit.getByRole('button', { name: 'Save environment' }).click();
    await edit.getByText('A base image is required').waitFor();
    assert.equal(await edit.getByLabel('Base image').getAttribute('aria-invalid'), 'true');
    await shot(page, '02-empty-base-image-refused');
    assert.equal(await readFile(scriptFile, 'utf8'), before, 'a refused save writes nothing');

    // Fix it and edit the setup script from the keyboard; saving writes the project's file.
    await edit.getByLabel('Base image').fill('python:3.12-slim');
    const script = edit.getByLabel('Setup script');
    await script.focus();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\npip install --no-cache-dir requests==2.32.3\necho "tools ready"\n');
    const expected = `${before}\npip install --no-cache-dir requests==2.32.3\necho "tools ready"\n`;
    const lines = expected.split('\n').length;
    assert.equal((await edit.locator('.script-gutter').innerText()).trim().split('\n').pop(), String(lines), 'the gutter numbers every line');
    await edit.getByText('Unsaved changes.').waitFor();
    // Tab leaves the editor (no keyboard trap) and reaches the form's buttons.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.tagName'), 'BUTTON');
    await edit.getByRole('button', { name: 'Save environment' }).click();
    await edit.getByText('Saved.').waitFor();
    assert.equal(await readFile(scriptFile, 'utf8'), expected);
    const properties = JSON.parse(await readFile(join(dir, '.orchest', 'environments', uuid, 'properties.json'), 'utf8')) as { base_image: string };
    assert.equal(properties.base_image, 'python:3.12-slim');
    await assertNoHorizontalOverflow(page, 'environments page');
    await shot(page, '03-setup-script-saved');

    // Building needs an engine: the API's error and hint are shown, and the state stays "not built".
    await page.getByRole('button', { name: 'Build Python tools' }).click();
    const note = page.getByRole('region', { name: 'Builds of Python tools' }).getByRole('alert');
    await note.getByText('building an environment needs a container engine, and none answers').waitFor();
    await note.getByText('start Docker or `podman system service`').waitFor();
    await note.getByText('BERTH_API_NO_ENGINE').waitFor();
    await table.getByText('not built').waitFor();
    await shot(page, '04-no-engine');

    // A job from the pipeline page: the form starts from the pipeline's parameters and env vars.
    await page.goto(`${server.url}/projects/greetings/pipelines/greet.orchest`);
    await page.getByRole('link', { name: 'New job' }).click();
    await page.waitForURL(/\/projects\/greetings\/jobs\?pipeline=greet\.orchest$/);
    const form = page.getByRole('form', { name: 'New job' });
    const greeting = form.getByLabel('Pipeline parameter greeting');
    await greeting.waitFor();
    assert.equal(await greeting.inputValue(), '"hello"');
    assert.equal(await form.getByLabel('Parameter times of step Greet').inputValue(), '1');
    await form.locator('[data-env-row="PROJECT_TOKEN"]').getByText('••••••••').waitFor();
    await form.locator('[data-env-row="STYLE"]').getByText('from the pipeline').waitFor();

    // Not JSON: refused at the field, and nothing is created.
    await greeting.fill('hola');
    await form.getByText('Not a JSON value').waitFor();
    await form.getByRole('button', { name: 'Create and run' }).click();
    await form.getByText('Fix the marked fields first.').waitFor();
    assert.equal((await client.listJobs({ project: 'greetings' })).jobs.length, 0, 'an invalid form creates no job');
    await shot(page, '05-job-parameter-invalid');

    await greeting.fill('"hola"');
    await form.getByLabel('Parameter times of step Greet').fill('3');
    await form.getByText('changed from "hello"').waitFor();
    await form.getByRole('button', { name: 'Override PROJECT_TOKEN' }).click();
    await form.getByLabel('Value of PROJECT_TOKEN').fill('overridden-for-the-job');
    await form.getByRole('button', { name: 'Add variable' }).click();
    await form.getByLabel('Name of added variable 1').fill('EXTRA_VAR');
    await form.getByLabel('Value of EXTRA_VAR').fill('extra-value');
    await form.getByLabel('Job name (optional)').fill('greet in spanish');
    await assertNoHorizontalOverflow(page, 'jobs page');
    await shot(page, '06-job-form');
    await form.getByRole('button', { name: 'Create and run' }).click();

    // The run page: it succeeds, and the step's log shows the job's parameters and env vars.
    await page.waitForURL(/\/projects\/greetings\/runs\//);
    await page.getByRole('heading', { name: 'greet in spanish' }).waitFor();
    await page.locator('.session-bar .badge[data-status="ready"]', { hasText: 'succeeded' }).waitFor({ timeout: 40_000 });
    await page.getByRole('button', { name: 'Log of Greet' }).click();
    const log = page.getByRole('log', { name: 'Log of Greet' });
    await log.getByText('greeting: hola').waitFor();
    const text = await log.innerText();
    assert.match(text, /times: 3/);
    assert.match(text, /PROJECT_TOKEN=overridden-for-the-job/);
    assert.match(text, /STYLE=formal/);
    assert.match(text, /EXTRA_VAR=extra-value/);
    await shot(page, '07-run-log');

    // The runs list shows it as succeeded.
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('cell', { name: 'greet in spanish', exact: true }).waitFor();
    await page.locator('.badge[data-status="ready"]', { hasText: 'succeeded' }).waitFor();
    await shot(page, '08-runs');
    assert.deepEqual(pageErrors, [], 'no errors in the page');
    passed = true;
  });

  test('with an engine: Build streams the log live and ends with the build status in the history', { ...skipUnless(chromiumRequirement, baseImageRequirement), timeout: 180_000 }, async (t) => {
    await mkdir(SHOTS, { recursive: true });
    const context = await openUi(t, UI_TIMEOUT);
    const { server, client, token } = await startTestServer(t, { dockerHost: `unix://${engine!.socketPath}` });
    const dir = await tempDir(t, 'berth-ui-build-');
    await writeProject({ dir, file: 'p.orchest', steps: [{ title: 'Noop', file: 'noop.py', source: 'pass\n' }] });
    await client.addProject(dir, 'builds');
    const created = await client.request<{ environment: { uuid: string } }>('POST', '/api/projects/builds/environments', {
      name: 'Slow build',
      base_image: BUILD_BASE,
      // Lines a second apart: the first must be on screen before the build has ended.
      setupScript: 'echo "first line of the build"\nsleep 2\necho "last line of the build"\n',
    });
    const uuid = created.environment.uuid;
    // Named now: the hook runs after the server's own hook has closed it.
    const projectUuid = (await client.request<{ project: { uuid: string } }>('GET', '/api/projects/builds')).project.uuid;
    const image = `berth-env-${projectUuid}-${uuid}:1`;
    // The cancelled build 2 leaves layers without a tag: they go by the project's label.
    t.after(() => removeTestImages(engine!.socketPath, [image], projectUuid));

    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/login?token=${encodeURIComponent(server.loginToken ?? token)}&next=${encodeURIComponent(`/projects/builds/environments?env=${uuid}`)}`);
    await page.getByRole('button', { name: 'Build Slow build' }).click();
    const log = page.getByRole('log', { name: 'Build 1 log' });
    await log.getByText('first line of the build').waitFor({ timeout: 60_000 });
    // Streamed, not read at the end: the closing status line is not there yet.
    assert.doesNotMatch(await log.innerText(), /berth: build 1 /);
    await shot(page, '09-build-streaming');
    await log.getByText('berth: build 1 succeeded').waitFor({ timeout: 120_000 });
    assert.match(await log.innerText(), /last line of the build/);
    const panel = page.getByRole('region', { name: 'Builds of Slow build' });
    await panel.locator('.build-bar .badge[data-status="ready"]', { hasText: 'build 1 succeeded' }).waitFor();
    await panel.getByRole('table', { name: 'Build history' }).getByRole('cell', { name: /berth-env-.*:1/ }).waitFor();
    await page.getByRole('table', { name: 'Environments' }).getByText('build 1 succeeded').waitFor();
    await shot(page, '10-build-succeeded');

    // A build that would take a minute is cancelled from the panel; build 1 stays the image in use.
    await client.request('PUT', `/api/projects/builds/environments/${uuid}`, { setupScript: 'echo "waiting to be cancelled"\nsleep 60\n' });
    await page.getByRole('button', { name: 'Build Slow build' }).click();
    const second = page.getByRole('log', { name: 'Build 2 log' });
    await second.getByText('waiting to be cancelled').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel build 2' }).click();
    await second.getByText('berth: build 2 cancelled').waitFor({ timeout: 30_000 });
    await panel.locator('.build-bar .badge', { hasText: 'build 2 cancelled' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel build 2' }).count(), 0, 'no cancel once the build ended');
    const { environment: after } = await client.request<{ environment: { currentImage: string } }>('GET', `/api/projects/builds/environments/${uuid}`);
    assert.equal(after.currentImage, image);
    await shot(page, '11-build-cancelled');
  });
});
