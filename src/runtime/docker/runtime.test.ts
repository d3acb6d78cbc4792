import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { skipUnless } from '../../../test/support/requirements.ts';
import { LABELS } from '../../plan/types.ts';
import type { Runtime, RuntimeRef } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import { isStartMarker } from '../log-marker.ts';
import { createDockerClient, engineStatus } from './client.ts';
import { createDockerRuntime } from './runtime.ts';
import type { DockerReachOption } from './reach.ts';
import { engines, servicePlan, testSessionUuid, waitFor } from './test-helpers.ts';

const HOST_USER = 1000;

for (const engine of await engines()) {
  describe(`docker runtime on ${engine.name}`, skipUnless(engine.requirement), () => {
    const installationId = `test-${randomUUID().slice(0, 8)}`;
    const client = createDockerClient(engine.socketPath);

    /** A runtime plus a session network, all removed after the test even when it fails. */
    function setup(t: { after: (fn: () => Promise<void> | void) => void }, reach: DockerReachOption = 'auto'): { runtime: Runtime; sid: string; dir: string } {
      const runtime = createDockerRuntime({ socketPath: engine.socketPath, installationId, graceMs: 1000, reach });
      const sid = testSessionUuid();
      const dir = mkdtempSync(join(tmpdir(), 'berth-docker-'));
      t.after(async () => {
        const leftovers = await runtime.list({ [LABELS.session]: sid });
        await Promise.all(leftovers.map((o) => runtime.stop(o.ref, { graceMs: 0 })));
        await runtime.cleanupSession(sid);
        await runtime.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return { runtime, sid, dir };
    }

    async function startSleeper(runtime: Runtime, sid: string, dir: string, name: string, fields = {}): Promise<RuntimeRef> {
      const plan = servicePlan(installationId, sid, name, { command: ['sleep'], args: ['3600'], ...fields });
      return runtime.start(plan, { logFile: join(dir, `${name}.log`) });
    }

    test('a second container on the session network reaches redis as redis-<sid> and as redis', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, { [LABELS.session]: sid });
      await runtime.prepareSession(sid, { [LABELS.session]: sid }); // idempotent
      const redisPlan = servicePlan(installationId, sid, 'redis', { ports: [6379] });
      const redis = await runtime.start(redisPlan, { logFile: join(dir, 'redis.log') });
      assert.equal(runtime.internalHostname(redisPlan), `redis-${sid}`);
      const clientRef = await startSleeper(runtime, sid, dir, 'client');
      for (const host of [`redis-${sid}`, 'redis']) {
        const result = await waitFor(`redis-cli -h ${host} ping`, async () => {
          const r = await runtime.exec(clientRef, ['redis-cli', '-h', host, 'ping']);
          return r.output.includes('PONG') ? r : undefined;
        });
        assert.equal(result.exitCode, 0);
        assert.equal(result.output.trim(), 'PONG');
      }
      const endpoint = await runtime.endpoint(redis, 6379);
      // Berth runs on the engine's host here, so it reaches the container on the session network.
      assert.notEqual(endpoint.host, '127.0.0.1');
      assert.deepEqual(endpoint, { host: endpoint.host, port: 6379 });
      const fromHost = await waitFor('PONG from the host', () => {
        const r = spawnSync('redis-cli', ['-h', endpoint.host, '-p', String(endpoint.port), 'ping'], { encoding: 'utf8' });
        return r.stdout.includes('PONG') ? r.stdout.trim() : undefined;
      });
      assert.equal(fromHost, 'PONG');
      assert.deepEqual(await runtime.inspect(redis).then((s) => s.state), 'running');
    });

    test('env keeps plan order and a later entry wins; exec env and exit codes come back', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, {});
      const ref = await startSleeper(runtime, sid, dir, 'envs', {
        env: [
          { name: 'FIRST', value: 'service', source: 'service' },
          { name: 'SECOND', value: 'two', source: 'service' },
          { name: 'FIRST', value: 'inherited', source: 'inherited' },
        ],
      });
      const result = await runtime.exec(ref, ['sh', '-c', 'echo "$FIRST $SECOND $EXTRA"; exit 3'], { env: { EXTRA: 'x' } });
      assert.equal(result.output, 'inherited two x\n');
      assert.equal(result.exitCode, 3);
      await assert.rejects(runtime.exec(ref, ['sleep', '30'], { timeoutMs: 300 }), {
        code: 'BERTH_RUNTIME_EXEC_TIMEOUT',
        message: '`sleep 30` in service envs did not finish within 300 ms',
      });
    });

    test('binds: the container sees project files and the host user can edit what it writes', async (t) => {
      const { runtime, sid, dir } = setup(t);
      const project = join(dir, 'project');
      spawnSync('mkdir', ['-p', project]);
      writeFileSync(join(project, 'hello.txt'), 'from the host\n');
      chownSync(dir, HOST_USER, HOST_USER);
      chownSync(project, HOST_USER, HOST_USER);
      chownSync(join(project, 'hello.txt'), HOST_USER, HOST_USER);
      await runtime.prepareSession(sid, {});
      const ref = await startSleeper(runtime, sid, dir, 'writer', { mounts: [{ source: 'project', hostPath: project, target: '/project-dir' }] });
      const seen = await runtime.exec(ref, ['cat', '/project-dir/hello.txt']);
      assert.equal(seen.output, 'from the host\n');
      const wrote = await runtime.exec(ref, ['sh', '-c', 'mkdir -p /project-dir/out && echo from the container > /project-dir/out/result.txt']);
      assert.equal(wrote.exitCode, 0, wrote.output);
      const written = join(project, 'out', 'result.txt');
      assert.equal(statSync(written).uid, HOST_USER);
      const edit = spawnSync('setpriv', [`--reuid=${HOST_USER}`, `--regid=${HOST_USER}`, '--clear-groups', 'sh', '-c', `echo edited by the host user >> ${written} && rm ${project}/out/result.txt.none 2>/dev/null; touch ${project}/out/new.txt`], { encoding: 'utf8' });
      assert.equal(edit.status, 0, edit.stderr);
      assert.equal(readFileSync(written, 'utf8'), 'from the container\nedited by the host user\n');
    });

    for (const reach of ['network', 'published'] as const) {
      test(`an HTTP service is reachable from the host (reach: ${reach})`, async (t) => {
        const { runtime, sid, dir } = setup(t, reach);
        await runtime.prepareSession(sid, {});
        const ref = await runtime.start(servicePlan(installationId, sid, 'web', { command: ['httpd'], args: ['-f', '-p', '8080', '-h', '/www'], ports: [8080] }), { logFile: join(dir, 'web.log') });
        const endpoint = await runtime.endpoint(ref, 8080);
        const body = await waitFor('the page', async () => {
          try {
            const response = await fetch(`http://${endpoint.host}:${endpoint.port}/`);
            return response.ok ? response.text() : undefined;
          } catch {
            return undefined;
          }
        });
        assert.equal(body, 'berth mini image\n');
        const published = await createDockerClient(engine.socketPath).json<{ NetworkSettings: { Ports: Record<string, unknown[] | null> | null } }>('GET', `/containers/${ref.id}/json`);
        const bindings = Object.values(published.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
        if (reach === 'network') {
          assert.equal(endpoint.proxied, undefined, 'the container\'s own address: no proxy in front');
          assert.deepEqual(bindings, [], 'nothing is published on the host when Berth reaches the session network');
        } else {
          assert.deepEqual({ host: endpoint.host, proxied: endpoint.proxied }, { host: '127.0.0.1', proxied: true });
          await assert.rejects(runtime.endpoint(ref, 9999), /has no published host port for port 9999/);
        }
      });
    }

    test('command without args drops the image CMD (Docker/Kubernetes semantics)', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, {});
      const logFile = join(dir, 'echo.log');
      const ref = await runtime.start(servicePlan(installationId, sid, 'echo', { command: ['echo'] }), { logFile });
      const state = await waitFor('exit', async () => {
        const s = await runtime.inspect(ref);
        return s.state === 'exited' ? s : undefined;
      });
      assert.deepEqual(state, { state: 'exited', exitCode: 0 });
      await runtime.stop(ref); // waits for the log follower to write the last lines
      // `echo` alone prints one empty line; with the image CMD merged it would print `redis-server --protected-mode no`.
      assert.match(readFileSync(logFile, 'utf8'), /^--- berth: echo started at \S+ ---\n\n$/);
      const argsOnly = await runtime.start(servicePlan(installationId, sid, 'argsonly', { args: ['sh', '-c', 'exit 7'] }), { logFile: join(dir, 'a.log') });
      const exited = await waitFor('exit', async () => {
        const s = await runtime.inspect(argsOnly);
        return s.state === 'exited' ? s : undefined;
      });
      assert.deepEqual(exited, { state: 'exited', exitCode: 7 });
      const listed = await runtime.list({ [LABELS.session]: sid, [LABELS.service]: 'argsonly' });
      assert.deepEqual(listed.map((o) => o.state), [{ state: 'exited', exitCode: 7 }]);
    });

    test('a missing image fails fast with the pull reason', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, {});
      const progress: string[] = [];
      const error = await runtime
        .start(servicePlan(installationId, sid, 'ghost', { image: 'berth-no-such-image:1' }), { logFile: join(dir, 'ghost.log'), onProgress: (l) => progress.push(l) })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof RuntimeError, String(error));
      assert.equal(error.code, 'BERTH_RUNTIME_IMAGE_PULL');
      assert.match(error.message, /^image berth-no-such-image:1 is not present and pulling it failed: \S.+/);
      assert.deepEqual(progress[0], 'pulling image berth-no-such-image:1');
      console.log(`${engine.name}: ${error.message}`);
      assert.deepEqual(await runtime.list({ [LABELS.session]: sid }), []);
    });

    test('a new runtime object lists everything by labels; stop removes containers and the network', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, { [LABELS.session]: sid });
      const a = await startSleeper(runtime, sid, dir, 'alpha');
      const b = await startSleeper(runtime, sid, dir, 'beta');
      const recovered = createDockerRuntime({ socketPath: engine.socketPath, installationId });
      t.after(() => recovered.close());
      const found = await recovered.list({ [LABELS.session]: sid });
      assert.deepEqual(found.map((o) => [o.ref.id, o.ref.service, o.ref.sessionUuid, o.state.state]).sort(), [
        [a.id, 'alpha', sid, 'running'],
        [b.id, 'beta', sid, 'running'],
      ].sort());
      const otherInstallation = createDockerRuntime({ socketPath: engine.socketPath, installationId: 'someone-else' });
      assert.deepEqual(await otherInstallation.list({ [LABELS.session]: sid }), []);
      await assert.rejects(otherInstallation.prepareSession(sid, {}), {
        code: 'BERTH_RUNTIME_NAME_CONFLICT',
        message: `a network named berth-${sid} already exists on ${engine.socketPath} and does not belong to this Berth installation`,
      });
      await assert.rejects(otherInstallation.start(servicePlan('someone-else', sid, 'alpha'), { logFile: join(dir, 'other.log') }), {
        code: 'BERTH_RUNTIME_NAME_CONFLICT',
        message: `a container named berth-alpha-${sid} already exists on ${engine.socketPath} and does not belong to this Berth installation`,
      });
      for (const object of found) await recovered.stop(object.ref, { graceMs: 0 });
      await recovered.stop(a); // idempotent
      assert.deepEqual(await recovered.inspect(a), { state: 'missing' });
      assert.deepEqual(await recovered.list({ [LABELS.session]: sid }), []);
      await recovered.cleanupSession(sid);
      await recovered.cleanupSession(sid); // idempotent
      const gone = await client.json('GET', `/networks/berth-${sid}`).then(() => 200, (e: unknown) => engineStatus(e));
      assert.equal(gone, 404);
    });

    test('logs are followed into the log file and re-attached after a restart without duplicates or loss', async (t) => {
      const { runtime, sid, dir } = setup(t);
      await runtime.prepareSession(sid, {});
      const logFile = join(dir, 'logs', 'counter.log');
      const plan = servicePlan(installationId, sid, 'counter', {
        command: ['sh'],
        args: ['-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; sleep 0.1; done'],
      });
      const ref = await runtime.start(plan, { logFile });
      const lines = (): string[] => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);
      await waitFor('line 5', () => (lines().includes('line 5') ? true : undefined));
      assert.ok(isStartMarker(lines()[0] ?? '', 'counter'), lines()[0]);
      await runtime.close(); // Berth "crashes": nobody follows the container for a while
      const countAtClose = lines().filter((l) => l.startsWith('line ')).length;
      // The container keeps printing while nobody follows it; the re-attached follower must catch up.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(lines().filter((l) => l.startsWith('line ')).length, countAtClose, 'nothing written while detached');
      const restarted = createDockerRuntime({ socketPath: engine.socketPath, installationId });
      t.after(() => restarted.close());
      await restarted.reattachLogs?.(ref, logFile);
      const target = `line ${countAtClose + 8}`;
      await waitFor(target, () => (lines().includes(target) ? true : undefined));
      await restarted.stop(ref, { graceMs: 0 });
      const numbers = lines().filter((l) => l.startsWith('line ')).map((l) => Number(l.slice(5)));
      assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'stdout lines in order, none twice, none missing');
      const errors = lines().filter((l) => l.startsWith('err ')).map((l) => Number(l.slice(4)));
      assert.deepEqual(errors.slice(0, countAtClose), errors.slice(0, countAtClose).map((_, i) => i + 1), 'stderr lines too');
      assert.equal(new Set(errors).size, errors.length);
    });
  });
}
