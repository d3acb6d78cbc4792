/**
 * Berth's own container image (deploy/image/Dockerfile, the image deploy/kubernetes runs): the
 * context from `scripts/image-context.mjs` builds on both real engines without any network, and
 * the image serves Berth as uid 1000 with its defaults: health, the login link printed at first
 * start, a signed-in API call and the UI. The base is localhost/berth-node:20 (ci/setup-engines.sh:
 * bookworm plus this machine's Node 20), standing in for node:20-bookworm-slim, which no registry
 * here serves.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDockerClient, createDockerRuntime, imageExists, readProgress } from '../src/runtime/docker/index.ts';
import { engines, removeTestImages, servicePlan, testSessionUuid, waitFor } from '../src/runtime/docker/test-helpers.ts';
import { skipUnless } from './support/requirements.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const NODE_IMAGE = 'localhost/berth-node:20';

let contextTar: Buffer | undefined;

for (const engine of await engines()) {
  describe(`Berth's image on ${engine.name}`, skipUnless(engine.requirement), () => {
    const client = createDockerClient(engine.socketPath);

    before(async () => {
      if (contextTar) return;
      const dir = await mkdtemp(join(tmpdir(), 'berth-image-'));
      try {
        await run(process.execPath, [join(root, 'scripts/image-context.mjs'), join(dir, 'context')], { cwd: root });
        contextTar = (await run('tar', ['-C', join(dir, 'context'), '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 1024 ** 3 })).stdout;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('builds offline from the prepared context and serves Berth as uid 1000 with a login link', async (t) => {
      assert.ok(await imageExists(client, NODE_IMAGE), `${NODE_IMAGE} is missing: run bash ci/setup-engines.sh`);
      const tag = `localhost/berth-test:${testSessionUuid()}`;
      t.after(() => removeTestImages(engine.socketPath, [tag]));
      const log: string[] = [];
      let failure: string | undefined;
      const stream = await client.stream('POST', '/build', {
        query: { t: tag, buildargs: JSON.stringify({ NODE_IMAGE }), rm: 1, forcerm: 1 },
        body: contextTar,
        headers: { 'Content-Type': 'application/x-tar' },
      });
      await readProgress(stream, (message) => {
        if (message.error !== undefined) failure = message.error;
        if (message.stream) log.push(message.stream);
      });
      assert.equal(failure, undefined, log.join(''));
      assert.ok(await imageExists(client, tag));

      const installationId = `image-${testSessionUuid().slice(1, 9)}`;
      const runtime = createDockerRuntime({ socketPath: engine.socketPath, installationId, graceMs: 2000, user: 'image' });
      const sid = testSessionUuid();
      const logDir = await mkdtemp(join(tmpdir(), 'berth-image-logs-'));
      t.after(async () => {
        for (const o of await runtime.list({ 'berth.session': sid })) await runtime.stop(o.ref, { graceMs: 0 });
        await runtime.cleanupSession(sid);
        await runtime.close();
        await rm(logDir, { recursive: true, force: true });
      });
      await runtime.prepareSession(sid, {});
      // The image's own entrypoint and command: `berth serve --host 0.0.0.0 --port 8765 --data-dir /var/lib/berth`.
      const ref = await runtime.start(servicePlan(installationId, sid, 'berth', { image: tag, ports: [8765] }), { logFile: join(logDir, 'berth.log') });
      const { host, port } = await runtime.endpoint(ref, 8765);
      const base = `http://${host}:${port}`;

      // Each probe has its own deadline: the engine's port forwarder may accept a connection before Berth listens.
      const health = await waitFor('Berth to answer', () => fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.json() : undefined), () => undefined), 30_000);
      assert.equal((health as { ok: boolean }).ok, true);
      const token = await waitFor('the login link in the log', async () => /\/login\?token=([\w-]+)/.exec(await readFile(join(logDir, 'berth.log'), 'utf8').catch(() => ''))?.[1]);
      assert.equal((await fetch(`${base}/api/projects`)).status, 401, 'login is on by default');
      const login = await fetch(`${base}/login?token=${token}`, { redirect: 'manual' });
      const cookie = login.headers.get('set-cookie')?.split(';')[0];
      assert.ok(cookie, `signing in sets a cookie (status ${login.status})`);
      const projects = await fetch(`${base}/api/projects`, { headers: { cookie } });
      assert.equal(projects.status, 200);
      assert.match(await (await fetch(`${base}/`, { headers: { cookie } })).text(), /<script type="module"/, 'the built UI is in the image');

      const id = await runtime.exec(ref, ['sh', '-c', 'id -u; id -g; ls /var/lib/berth']);
      assert.match(id.output, /^1000\n1000\n(.|\n)*berth\.db/);
    });
  });
}
