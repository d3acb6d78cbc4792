/**
 * Sessions on the docker runtime, end to end through the server's API, against both real engines:
 * Docker Engine and Podman's Docker-compatible socket (ci/setup-engines.sh starts both and builds
 * localhost/redis:7 from Debian packages: redis-server, redis-cli and busybox with httpd).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { engines } from '../src/runtime/docker/test-helpers.ts';
import { LABELS } from '../src/plan/index.ts';
import { BerthClient } from '../src/sdk/client.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { freePort } from './support/ports.ts';
import { skipUnless } from './support/requirements.ts';

const IMAGE = 'localhost/redis:7';

async function project(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'berth-docker-project-');
  await writeFile(join(dir, 'hello.txt'), 'served from the project directory\n');
  const pipeline = await writePipeline(dir, 'main.orchest', {
    services: {
      web: {
        image: IMAGE,
        command: 'httpd',
        args: '-f -p 8080 -h /srv/www',
        binds: { '/project-dir': '/srv/www' },
        env_variables: { VERSION: 'one' },
        ports: [8080],
        exposed: true,
      },
      cache: {
        image: IMAGE,
        env_variables_inherit: ['API_TOKEN'],
        env_variables: { ORCHEST_SESSION_TYPE: 'spoofed' },
        ports: [6379],
        readiness: { type: 'command', command: ['redis-cli', 'ping'] },
      },
    },
  });
  return { dir, pipeline };
}

for (const engine of await engines()) {
  describe(`sessions on the docker runtime (${engine.name})`, skipUnless(engine.requirement), () => {
    const serverOptions = { runtime: 'docker' as const, dockerHost: `unix://${engine.socketPath}` };

    test('services on a session network: hostnames, inherited env, the proxy, apply, stop', async (t) => {
      const { client, server, token } = await startTestServer(t, serverOptions);
      const { dir, pipeline } = await project(t);
      await client.addProject(dir, 'proj');
      await client.setEnv('proj', 'API_TOKEN', 'secret-value');
      const { session } = await client.startSession('proj', 'main.orchest');
      const sid = session.uuid;
      const settled = await server.sessions.waitSettled(sid, 60_000);
      assert.equal(settled.status, 'running', `${settled.reason} ${JSON.stringify(settled.services.map((s) => s.details))}`);
      const web = settled.services.find((s) => s.name === 'web')!;
      const cache = settled.services.find((s) => s.name === 'cache')!;
      assert.equal(cache.internalHostname, `cache-${sid}`);

      const runtime = server.sessions.runtime;
      const ref = (name: string, id: string) => ({ runtime: runtime.kind, id, sessionUuid: sid, service: name });
      const fromWeb = await runtime.exec(ref('web', web.runtimeId!), [
        'sh',
        '-c',
        `redis-cli -h cache-${sid} ping && redis-cli -h cache ping`,
      ]);
      assert.equal(fromWeb.output.trim().split(/\s+/).join(' '), 'PONG PONG', 'another container reaches redis by both names');
      const env = await runtime.exec(ref('cache', cache.runtimeId!), ['sh', '-c', 'echo "$API_TOKEN $ORCHEST_SESSION_TYPE"']);
      assert.equal(env.output.trim(), 'secret-value interactive');

      const viaProxy = await fetch(`${server.url}/service-web-${sid}_8080/hello.txt`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(viaProxy.status, 200);
      assert.equal(await viaProxy.text(), 'served from the project directory\n');

      const file = JSON.parse(await readFile(pipeline.path, 'utf8'));
      file.services.web.env_variables.VERSION = 'two';
      await writeFile(pipeline.path, JSON.stringify(file, null, 4));
      const { diff } = await client.applySession(sid);
      assert.deepEqual(diff.changed, ['web']);
      const after = await server.sessions.waitSettled(sid, 60_000);
      assert.equal(after.status, 'running');
      assert.notEqual(after.services.find((s) => s.name === 'web')!.runtimeId, web.runtimeId, 'web was recreated');
      assert.equal(after.services.find((s) => s.name === 'cache')!.runtimeId, cache.runtimeId, 'cache was untouched');

      await client.stopSession(sid);
      const left = await runtime.list({ [LABELS.session]: sid });
      assert.deepEqual(left, [], 'no container of the session is left');
    });

    test('a wrong command and a missing image fail their service with the reason', async (t) => {
      const { client, server } = await startTestServer(t, serverOptions);
      const dir = await tempDir(t);
      await writePipeline(dir, 'broken.orchest', {
        services: {
          typo: { image: IMAGE, command: 'no-such-program-berth', ports: [8080] },
          nothere: { image: 'localhost/berth-no-such-image:1', ports: [8080] },
        },
      });
      await client.addProject(dir, 'broken');
      const { session } = await client.startSession('broken', 'broken');
      const settled = await server.sessions.waitSettled(session.uuid, 60_000);
      assert.equal(settled.status, 'failed');
      const reasons = Object.fromEntries(settled.services.map((s) => [s.name, `${s.reason}`]));
      assert.match(reasons.typo!, /no-such-program-berth/);
      assert.match(reasons.nothere!, /berth-no-such-image/);
      assert.equal((settled.services.find((s) => s.name === 'nothere')!.details as { code: string }).code, 'BERTH_RUNTIME_IMAGE_PULL');
    });

    test('recovery: containers outlive a SIGKILLed Berth and are adopted at the next start', async (t) => {
      const dataDir = await tempDir(t, 'berth-data-');
      const { dir } = await project(t);
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['bin/berth.mjs', 'serve', '--data-dir', dataDir, '--port', String(port), '--runtime', 'docker', '--docker-host', `unix://${engine.socketPath}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      t.after(() => void child.kill('SIGKILL'));
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 200 && !(await fetch(`${url}/api/health`).then((r) => r.ok, () => false)); i += 1) await sleep(100);
      const client = new BerthClient({ url, token: (await readFile(join(dataDir, 'cli-token'), 'utf8')).trim() });
      await client.addProject(dir, 'proj');
      const { session } = await client.startSession('proj', 'main.orchest');
      for (let i = 0; i < 600; i += 1) {
        if ((await client.getSession(session.uuid)).session.status !== 'starting') break;
        await sleep(100);
      }
      const before = (await client.getSession(session.uuid)).session;
      assert.equal(before.status, 'running', output);

      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const { server } = await startTestServer(t, { ...serverOptions, dataDir });
      const adopted = await server.sessions.waitSettled(session.uuid, 60_000);
      assert.equal(adopted.status, 'running');
      assert.deepEqual(
        adopted.services.map((s) => s.runtimeId).sort(),
        before.services.map((s) => s.runtimeId).sort(),
        'the same containers, adopted rather than recreated',
      );
      await server.sessions.stop(session.uuid);
      assert.deepEqual(await server.sessions.runtime.list({ [LABELS.session]: session.uuid }), []);
    });
  });
}
