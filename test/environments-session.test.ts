/**
 * Environments used by services, through the API: a session cannot start an unbuilt environment
 * (the error says which and how to build it); a built one runs as `environment@<uuid>`; a rebuild
 * never changes a running session (the image is pinned at start, also across a service restart);
 * the next session gets the new build; a broken setup script fails with its log and keeps the
 * current image. On the local runtime such a service fails with "needs a container runtime".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { engines, removeTestImages } from '../src/runtime/docker/test-helpers.ts';
import type { BuildInfo } from '../src/api/index.ts';
import type { ApiClientError, BerthClient } from '../src/sdk/client.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { skipUnless } from './support/requirements.ts';
import { buildAndWait } from './support/environments.ts';

async function pipelineWithEnvironment(t: Parameters<typeof tempDir>[0], client: BerthClient) {
  const dir = await tempDir(t, 'berth-env-project-');
  await writePipeline(dir, 'env.orchest', { services: {} });
  await client.addProject(dir, 'envproj');
  const { environment } = await client.request<{ environment: { uuid: string } }>('POST', '/api/projects/envproj/environments', {
    name: 'tools',
    base_image: 'localhost/debian:bookworm',
    setupScript: '#!/bin/bash\nset -e\necho one > /berth-version\n',
  });
  await writePipeline(dir, 'env.orchest', {
    services: {
      tool: {
        image: `environment@${environment.uuid}`,
        command: 'sh',
        args: "-c 'echo version=$(cat /berth-version); exec sleep 3600'",
        ports: [8080],
        readiness: { type: 'log', pattern: 'version=' },
      },
    },
  });
  return { dir, env: environment.uuid };
}

for (const engine of (await engines()).filter((e) => e.name === 'docker')) {
  describe(`environments as service images (${engine.name})`, skipUnless(engine.requirement), () => {
    test('unbuilt fails clearly; built runs; a rebuild keeps the running session on its pinned image', async (t) => {
      const { client, server, token } = await startTestServer(t, { runtime: 'docker', dockerHost: `unix://${engine.socketPath}` });
      const { env } = await pipelineWithEnvironment(t, client);
      const projectUuid = server.projects.get('envproj').uuid;
      const built: string[] = [];
      // Runs after the server's own hook: the images go once no session uses them.
      t.after(() => removeTestImages(engine.socketPath, built, projectUuid));

      const unbuilt = await client.startSession('envproj', 'env.orchest').then(
        () => assert.fail('started with an unbuilt environment'),
        (error: unknown) => error as ApiClientError,
      );
      assert.equal(unbuilt.code, 'BERTH_ENV_NOT_BUILT');
      assert.match(unbuilt.message, new RegExp(env));
      assert.match(`${unbuilt.message} ${unbuilt.hint ?? ''}`, /berth env-image build/);

      const first = await buildAndWait(client, 'envproj', env);
      built.push(first.image);
      assert.equal(first.status, 'succeeded', first.error ?? '');
      const { session } = await client.startSession('envproj', 'env.orchest');
      const running = await server.sessions.waitSettled(session.uuid, 60_000);
      assert.equal(running.status, 'running', running.reason ?? '');
      assert.match(await client.logs(session.uuid, 'tool'), /version=one/);

      await client.request('PUT', `/api/projects/envproj/environments/${env}`, {
        setupScript: '#!/bin/bash\nset -e\necho two > /berth-version\n',
      });
      // The rebuild through the CLI: it streams the log, then prints the record.
      const cli = await promisify(execFile)(process.execPath, ['bin/berth.mjs', 'env-image', 'build', 'envproj', env, '--json'], {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, BERTH_URL: server.url, BERTH_TOKEN: token, NO_COLOR: '1' },
      });
      const second = (JSON.parse(cli.stdout) as { build: BuildInfo }).build;
      built.push(second.image);
      assert.equal(second.status, 'succeeded');
      assert.equal(second.number, first.number + 1);

      await client.restartSession(session.uuid, 'tool');
      const restarted = await server.sessions.waitSettled(session.uuid, 60_000);
      assert.equal(restarted.status, 'running');
      const log = await client.logs(session.uuid, 'tool');
      assert.equal(log.match(/version=one/g)?.length, 2, 'the restarted service still runs the image pinned at session start');
      assert.doesNotMatch(log, /version=two/);

      await client.stopSession(session.uuid);
      const { session: next } = await client.startSession('envproj', 'env.orchest');
      assert.equal((await server.sessions.waitSettled(next.uuid, 60_000)).status, 'running');
      assert.match(await client.logs(next.uuid, 'tool'), /version=two/, 'a new session gets the newest build');
      await client.stopSession(next.uuid);

      await client.request('PUT', `/api/projects/envproj/environments/${env}`, {
        setupScript: '#!/bin/bash\necho about to fail\nexit 3\n',
      });
      const broken = await buildAndWait(client, 'envproj', env);
      assert.equal(broken.status, 'failed');
      assert.match(broken.log, /about to fail/);
      const { environment } = await client.request<{ environment: { currentImage: string } }>(
        'GET',
        `/api/projects/envproj/environments/${env}`,
      );
      assert.equal(environment.currentImage, second.image, 'the failed build kept the previous image current');
    });
  });
}

describe('environments on the local runtime', () => {
  test('an environment@ service fails with a message that it needs a container runtime', async (t) => {
    const { client, server } = await startTestServer(t, { runtime: 'local' });
    await pipelineWithEnvironment(t, client);
    const { session } = await client.startSession('envproj', 'env.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.status, 'failed');
    const tool = settled.services[0]!;
    assert.equal((tool.details as { code: string }).code, 'BERTH_RUNTIME_NEEDS_CONTAINERS');
    assert.match(tool.reason ?? '', /container runtime/);
  });
});
