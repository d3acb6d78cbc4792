/**
 * New projects from a starter: through the API/CLI client (empty and demo starters, refusals that
 * write nothing) and through the UI's "Create a new project" form in Chromium.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClientError } from '../src/sdk/client.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { startTestServer } from './support/berth.ts';
import { skipUnless } from './support/requirements.ts';
import { chromiumRequirement, openUi } from './support/browser.ts';

describe('creating projects from a starter', () => {
  test('empty and demo starters make valid projects in the data directory; bad input writes nothing', async (t) => {
    const { client, dataDir } = await startTestServer(t);

    const { project: empty } = await client.createProject('analysis');
    assert.equal(empty.path, join(dataDir, 'projects', 'analysis'));
    const { pipelines } = await client.listPipelines('analysis');
    assert.deepEqual(
      pipelines.map((p) => [p.path, p.valid, p.services]),
      [['main.orchest', true, []]],
    );

    await client.createProject('tour', 'demo');
    const demo = await loadPipelineFile(join(dataDir, 'projects', 'tour', 'demo.orchest'));
    assert.deepEqual(Object.keys(demo.spec?.services ?? {}).sort(), ['hello-api', 'web', 'worker']);

    const refusal = (promise: Promise<unknown>) => promise.then(() => assert.fail('accepted'), (e: unknown) => e as ApiClientError);
    assert.equal((await refusal(client.createProject('analysis'))).code, 'BERTH_API_PROJECT_EXISTS');
    assert.equal((await refusal(client.createProject('bad name!'))).code, 'BERTH_API_PROJECT_NAME_INVALID');
    const starter = await refusal(client.request('POST', '/api/projects', { name: 'x', starter: 'kitchen-sink' }));
    assert.equal(starter.code, 'BERTH_API_STARTER_INVALID');
    assert.match(starter.hint ?? '', /demo, empty/);
    await mkdir(join(dataDir, 'projects', 'leftover'));
    const leftover = await refusal(client.createProject('leftover'));
    assert.match(leftover.message, /already exists/);
    assert.deepEqual(await readdir(join(dataDir, 'projects', 'leftover')), [], 'an existing directory is never written into');
    assert.equal(existsSync(join(dataDir, 'projects', 'x')), false);
  });

  test('the UI creates a project from the demo starter and opens it', skipUnless(chromiumRequirement), async (t) => {
    const context = await openUi(t);
    const { server } = await startTestServer(t);
    const page = await context.newPage();
    await page.goto(`${server.url}/projects`);
    await page.getByRole('textbox', { name: 'Token' }).fill(server.loginToken!);
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.waitForURL(`${server.url}/projects`);

    await page.getByLabel('Name', { exact: true }).fill('tour');
    await page.getByLabel('Start from').selectOption('demo');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/tour/);
    await page.getByText('demo.orchest').first().waitFor();
    await page.screenshot({ path: 'test-results/projects-create.png' });
    assert.ok(server.store.findProject('tour'));
  });
});
