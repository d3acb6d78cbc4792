import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RuntimeError } from '../errors.ts';
import { createDockerClient, engineStatus, resolveSocketPath, socketPathFromDockerHost } from './client.ts';
import { createContainerBody, envList } from './container-spec.ts';
import { localCandidates, splitReference } from './images.ts';
import { compareTimestamps, sinceParameter } from './logs.ts';
import { createDemuxer, demuxAll, readProgress, type Frame, type ProgressMessage } from './streams.ts';
import { servicePlan } from './test-helpers.ts';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('the demuxer reassembles frames split across chunks and separates stdout from stderr', () => {
  const whole = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
  const frames: Frame[] = [];
  const demuxer = createDemuxer((f) => frames.push(f));
  for (let i = 0; i < whole.length; i += 3) demuxer.push(whole.subarray(i, i + 3));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [
    ['stdout', 'out 1\n'],
    ['stderr', 'err 1\n'],
    ['stdout', 'out 2\n'],
  ]);
  assert.deepEqual(demuxAll(whole), { output: 'out 1\nerr 1\nout 2\n', stdout: 'out 1\nout 2\n', stderr: 'err 1\n' });
});

test('progress JSON lines are parsed across chunk boundaries', async () => {
  const messages: ProgressMessage[] = [];
  await readProgress(Readable.from([Buffer.from('{"status":"Pulling"}\r\n{"str'), Buffer.from('eam":"Step 1\\n"}\n{"error":"boom","errorDetail":{"message":"boom!"}}')]), (m) => messages.push(m));
  assert.deepEqual(messages, [{ status: 'Pulling' }, { stream: 'Step 1\n' }, { error: 'boom', errorDetail: { message: 'boom!' } }]);
});

test('the create body maps a plan: aliases, env order with later duplicates winning, ports on loopback, binds', () => {
  const plan = servicePlan('inst', 'sid1', 'redis', {
    image: 'redis:7',
    args: ['redis-server', '--port', '6380'],
    ports: [6380, 8080],
    env: [
      { name: 'A', value: '1', source: 'service' },
      { name: 'B', value: '2', source: 'service' },
      { name: 'A', value: '3', source: 'inherited' },
    ],
    mounts: [{ source: 'project', hostPath: '/home/u/project', target: '/project-dir' }],
  });
  assert.deepEqual(envList(plan), ['A=3', 'B=2']);
  const body = createContainerBody(plan, 'localhost/redis:7', 'inst', { user: '1000:1000' });
  assert.equal(body.Image, 'localhost/redis:7');
  assert.equal(body.Hostname, 'redis-sid1');
  assert.equal(body.Entrypoint, undefined, 'the image ENTRYPOINT is kept when command is absent');
  assert.deepEqual(body.Cmd, ['redis-server', '--port', '6380']);
  assert.equal(body.User, '1000:1000');
  assert.deepEqual(body.ExposedPorts, { '6380/tcp': {}, '8080/tcp': {} });
  assert.deepEqual(body.HostConfig.PortBindings['6380/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }]);
  assert.deepEqual(body.HostConfig.Binds, ['/home/u/project:/project-dir:rw']);
  assert.equal(body.HostConfig.NetworkMode, 'berth-sid1');
  assert.deepEqual(body.NetworkingConfig.EndpointsConfig['berth-sid1'], { Aliases: ['redis-sid1', 'redis'] });
  assert.equal(body.Labels['berth.installation'], 'inst');
  assert.equal(body.Labels['berth.service'], 'redis');
});

test('image references: short names are also looked up under localhost/, tags and registries are split right', () => {
  assert.deepEqual(localCandidates('redis:7'), ['redis:7', 'localhost/redis:7']);
  assert.deepEqual(localCandidates('library/redis:7'), ['library/redis:7', 'localhost/library/redis:7']);
  assert.deepEqual(localCandidates('localhost/redis:7'), ['localhost/redis:7']);
  assert.deepEqual(localCandidates('quay.io/x/y'), ['quay.io/x/y']);
  assert.deepEqual(splitReference('localhost:5000/a/b:1.2'), { name: 'localhost:5000/a/b', tag: '1.2' });
  assert.deepEqual(splitReference('localhost:5000/a/b'), { name: 'localhost:5000/a/b', tag: 'latest' });
});

test('log cursors: since parameters and nanosecond timestamp order', () => {
  assert.equal(sinceParameter('2026-11-28T23:10:27.123456789Z'), '1795907427.123456789');
  assert.equal(sinceParameter('2026-11-28T23:10:27.5Z'), '1795907427.500000000');
  assert.equal(compareTimestamps('2026-11-28T23:10:27.5Z', '2026-11-28T23:10:27.123456789Z'), 1);
  assert.equal(compareTimestamps('2026-11-28T23:10:27.000000001Z', '2026-11-28T23:10:27Z'), 1);
  assert.equal(compareTimestamps('2026-11-28T23:10:27.100Z', '2026-11-28T23:10:27.1Z'), 0);
  assert.equal(compareTimestamps('2026-11-28T23:10:26.9Z', '2026-11-28T23:10:27.1Z'), -1);
});

test('socket paths come from DOCKER_HOST=unix://…; tcp is refused with a fix', () => {
  assert.equal(resolveSocketPath(undefined, { DOCKER_HOST: 'unix:///run/podman/podman.sock' }), '/run/podman/podman.sock');
  assert.equal(resolveSocketPath(undefined, {}), '/var/run/docker.sock');
  assert.equal(resolveSocketPath('/tmp/x.sock', {}), '/tmp/x.sock');
  assert.throws(() => socketPathFromDockerHost('tcp://1.2.3.4:2375'), { code: 'BERTH_RUNTIME_DOCKER_HOST', message: /tcp:\/\/1\.2\.3\.4:2375 is not supported/ });
});

test('engine JSON errors become RuntimeErrors with the engine message and status; a dead socket says how to fix it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sock-'));
  const socketPath = join(dir, 'engine.sock');
  const server = createServer((req, res) => {
    if (req.url === '/v1.41/_ping') return res.end('OK');
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: 'No such container: nope' }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = createDockerClient(socketPath);
  assert.equal(await client.ping(), true);
  const error = await client.json('GET', '/containers/nope/json').catch((e: unknown) => e);
  assert.ok(error instanceof RuntimeError);
  assert.equal(error.message, `container engine at ${socketPath} refused GET /containers/nope/json (HTTP 404): No such container: nope`);
  assert.equal(engineStatus(error), 404);
  const dead = createDockerClient(join(dir, 'missing.sock'));
  assert.equal(await dead.ping(), false);
  await assert.rejects(dead.json('GET', '/version'), { code: 'BERTH_RUNTIME_ENGINE_UNREACHABLE', message: /cannot reach the container engine at .*missing\.sock \(GET \/version\)/ });
});
