/**
 * Sessions on the local runtime, end to end through the server's API: real programs as services
 * (python3 -m http.server, a Node script, redis-server), readiness, failures, inherited env,
 * binds, apply, stop without leftovers, and recovery after Berth is SIGKILLed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './support/ports.ts';
import { pidsWithEnv } from './support/processes.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { connectToService, getFromService, serviceEndpoint, stepHostname, type ServiceEndpoint } from './support/service-reach.ts';
import { mergeSessionUpdate } from '../src/api/index.ts';
import { BerthClient, type ApiClientError } from '../src/sdk/client.ts';

const APP = `
import { createServer } from 'node:http';
const port = Number(process.argv[2]);
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.url === '/headers') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify(req.headers));
  }
  if (req.url === '/env') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify(process.env));
  }
  res.end('app ' + process.env.GREETING);
}).listen(port, '127.0.0.1', () => console.log('app listening on ' + port));
`;

async function demoProject(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'berth-project-');
  await writeFile(join(dir, 'app.mjs'), APP);
  await writeFile(join(dir, 'hello.txt'), 'hello from the project directory\n');
  const webPort = await freePort();
  const appPort = await freePort();
  const pipeline = await writePipeline(dir, 'main.orchest', {
    services: {
      web: {
        image: 'python',
        command: 'python3',
        args: `-m http.server ${webPort} --bind 127.0.0.1 --directory /srv/project`,
        binds: { '/project-dir': '/srv/project' },
        ports: [webPort],
        exposed: true,
      },
      app: {
        image: 'node',
        command: 'node',
        args: `/project-dir/app.mjs ${appPort}`,
        binds: { '/project-dir': '/project-dir' },
        env_variables: { GREETING: 'hello', ORCHEST_SESSION_TYPE: 'spoofed' },
        env_variables_inherit: ['API_TOKEN', 'NOT_DEFINED_ANYWHERE'],
        ports: [appPort],
        exposed: true,
        readiness: { type: 'http', path: '/healthz' },
      },
    },
  });
  return { dir, webPort, appPort, pipeline };
}

describe('sessions on the local runtime', () => {
  test('start: services become ready, env is inherited and not shadowable, binds reach the project, the proxy routes', async (t) => {
    const { client, server, token } = await startTestServer(t);
    const project = await demoProject(t);
    const { project: added } = await client.addProject(project.dir, 'proj');
    await client.setEnv('proj', 'API_TOKEN', 'project-level');
    await client.setEnv('proj', 'API_TOKEN', 'pipeline-level', 'main.orchest');

    const { session } = await client.startSession('proj', 'main.orchest');
    assert.equal(session.uuid, added.uuid.slice(0, 18) + project.pipeline.uuid.slice(0, 18));
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.status, 'running', JSON.stringify(settled.services.map((s) => [s.name, s.status, s.reason])));
    assert.deepEqual(settled.services.map((s) => [s.name, s.status]), [['web', 'ready'], ['app', 'ready']]);
    assert.ok(settled.warnings.some((w) => w.includes('NOT_DEFINED_ANYWHERE')), settled.warnings.join('\n'));

    const env = JSON.parse((await getFromService(serviceEndpoint(server, session.uuid, 'app', project.appPort), '/env')).text) as Record<string, string>;
    assert.equal(env.GREETING, 'hello');
    assert.equal(env.API_TOKEN, 'pipeline-level', 'the pipeline-level value wins over the project-level one');
    assert.equal(env.ORCHEST_SESSION_TYPE, 'interactive', 'a service var never shadows ORCHEST_*');
    assert.equal(env.ORCHEST_SESSION_UUID, session.uuid);
    assert.equal(env.ORCHEST_PROJECT_UUID, added.uuid);
    assert.equal(env.NOT_DEFINED_ANYWHERE, undefined);

    const viaProxy = await fetch(`${server.url}/service-web-${session.uuid}_${project.webPort}/hello.txt`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(viaProxy.status, 200, await viaProxy.clone().text());
    assert.equal(await viaProxy.text(), 'hello from the project directory\n', 'the bind target path resolved to the project dir');
    const anonymous = await fetch(`${server.url}/service-web-${session.uuid}_${project.webPort}/hello.txt`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(anonymous.status, 401, 'requires_authentication defaults to true');

    const seen = await fetch(`${server.url}/service-app-${session.uuid}_${project.appPort}/headers`, {
      headers: { authorization: `Bearer ${token}`, cookie: 'berth_session=abc; theme=dark' },
    });
    const headers = (await seen.json()) as Record<string, string>;
    assert.equal(headers.authorization, undefined, "Berth's token never reaches a service");
    assert.equal(headers.cookie, 'theme=dark', "Berth's session cookie is removed, the service's own cookies kept");
    assert.equal(headers['x-forwarded-prefix'], `/service-app-${session.uuid}_${project.appPort}`);

    await client.stopSession(session.uuid);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid), [], 'no process of the session is left');
    assert.equal(existsSync(settled.services[0]!.logFile), false, 'logs are deleted with the session');
  });

  test('apply restarts only the service whose plan changed', async (t) => {
    const { client, server } = await startTestServer(t);
    const project = await demoProject(t);
    await client.addProject(project.dir, 'proj');
    const { session } = await client.startSession('proj', 'main');
    const before = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(before.status, 'running');
    const whole = await client.call('sessionUpdates', { sid: session.uuid });
    assert.deepEqual([whole.complete, whole.session.services.map((s) => s.status)], [true, ['ready', 'ready']]);
    const unchanged = await client.call('sessionUpdates', { sid: session.uuid, since: whole.cursor });
    assert.deepEqual([unchanged.complete, unchanged.session.services], [false, []], 'nothing changed since the cursor');

    const file = JSON.parse(await readFile(project.pipeline.path, 'utf8'));
    file.services.app.env_variables.GREETING = 'changed';
    await writeFile(project.pipeline.path, JSON.stringify(file, null, 4));
    const { diff } = await client.applySession(session.uuid);
    assert.deepEqual(diff.changed, ['app']);
    assert.deepEqual(diff.unchanged, ['web']);
    const after = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(after.status, 'running', `${after.reason}\n${JSON.stringify(after.services.map((s) => [s.name, s.status, s.reason]))}`);
    const web = (view: typeof after) => view.services.find((s) => s.name === 'web')!;
    const app = (view: typeof after) => view.services.find((s) => s.name === 'app')!;
    assert.equal(web(after).runtimeId, web(before).runtimeId, 'web kept running untouched');
    assert.notEqual(app(after).runtimeId, app(before).runtimeId, 'app was restarted');
    assert.equal(app(after).attempt, app(before).attempt + 1);
    assert.equal((await getFromService(serviceEndpoint(server, session.uuid, 'app', project.appPort), '/')).text, 'app changed');

    const log = await client.logs(session.uuid, 'app');
    assert.equal(log.match(/app listening on/g)?.length, 2, 'the log keeps the lines from before the restart');

    const applied = await client.call('sessionUpdates', { sid: session.uuid, since: unchanged.cursor });
    assert.equal(applied.complete, true, 'a cursor of the plan before apply gets the whole session');
    await client.restartSession(session.uuid, 'web');
    const restarted = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(restarted.status, 'running');
    const update = await client.call('sessionUpdates', { sid: session.uuid, since: applied.cursor });
    assert.deepEqual([update.complete, update.session.services.map((s) => s.name)], [false, ['web']], 'only the restarted service changed');
    assert.deepEqual(mergeSessionUpdate(applied.session, update), (await client.getSession(session.uuid)).session);
  });

  test('a wrong command fails its service at once with the reason, and the session says which', async (t) => {
    const { client, server } = await startTestServer(t);
    const dir = await tempDir(t);
    await writePipeline(dir, 'broken.orchest', {
      services: { broken: { image: 'x', command: 'no-such-program-berth', args: '--serve', ports: [await freePort()] } },
    });
    await client.addProject(dir, 'broken');
    const { session } = await client.startSession('broken', 'broken.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.status, 'failed');
    assert.match(settled.reason ?? '', /service broken failed: .*no-such-program-berth/);
    const details = settled.services[0]!.details as { code: string };
    assert.equal(details.code, 'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND', 'failed by the runtime, not by a timeout');
  });

  test('two services of one session on one port are refused before anything starts, in every isolation mode; scopes that never meet may share it', async (t) => {
    const { server, client } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-project-');
    const port = await freePort();
    const http = { image: 'python', command: 'python3', args: `-m http.server ${port} --bind 127.0.0.1`, ports: [port] };
    await writePipeline(dir, 'shared.orchest', { services: { first: http, second: { ...http, scope: ['interactive'] } } });
    await writePipeline(dir, 'apart.orchest', { services: { first: { ...http, scope: ['noninteractive'] }, second: { ...http, scope: ['interactive'] } } });
    await client.addProject(dir, 'proj');

    const refused = (error: ApiClientError) => {
      assert.equal(error.code, 'BERTH_API_PIPELINE_INVALID');
      assert.deepEqual((error.details as { code: string; path: string }[]).map((d) => [d.code, d.path]), [['BERTH_SPEC_PORT_SHARED_LOCAL', 'services.second.ports[0]']]);
      return true;
    };
    await assert.rejects(client.startSession('proj', 'shared.orchest'), refused);
    await assert.rejects(client.createJob('proj', 'shared.orchest'), refused);
    assert.deepEqual(server.sessions.list({}), [], 'nothing was started');
    const { pipelines } = await client.listPipelines('proj');
    assert.deepEqual(pipelines.map((p) => [p.path, p.valid]).sort(), [['apart.orchest', true], ['shared.orchest', false]]);
  });

  test('a service that never becomes ready fails at its start timeout with its last log lines', async (t) => {
    const { client, server } = await startTestServer(t);
    const dir = await tempDir(t);
    await writePipeline(dir, 'slow.orchest', {
      services: {
        slow: {
          image: 'x',
          command: 'sh',
          args: "-c 'echo warming up; sleep 30'",
          ports: [await freePort()],
          readiness: { type: 'port', timeout_seconds: 1 },
        },
      },
    });
    await client.addProject(dir, 'slow');
    const { session } = await client.startSession('slow', 'slow');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.status, 'failed');
    const details = settled.services[0]!.details as { code: string; lastLogLines: string[] };
    assert.equal(details.code, 'BERTH_READINESS_TIMEOUT');
    assert.ok(details.lastLogLines.some((l) => l.includes('warming up')), details.lastLogLines.join('\n'));
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid), [], 'the timed-out service was stopped');
  });

  const redis = commandRequirement('redis-server', 'apt-get install redis-server');
  test('redis-server from Debian as a service (image "redis", no command)', skipUnless(redis), async (t) => {
    const { client, server } = await startTestServer(t);
    const dir = await tempDir(t);
    const port = await freePort();
    await writePipeline(dir, 'redis.orchest', { services: { redis: { image: 'redis', ports: [port] } } });
    await client.addProject(dir, 'redis');
    const { session } = await client.startSession('redis', 'redis.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(settled.status, 'running', settled.reason ?? '');
    assert.equal(settled.services[0]!.internalHostname, stepHostname(server, 'redis', session.uuid));
    const pong = await redisPing(serviceEndpoint(server, session.uuid, 'redis', port));
    assert.equal(pong, '+PONG');
  });

  test('recovery: after Berth is SIGKILLed, the next start adopts the running services; stop leaves nothing', async (t) => {
    const dataDir = await tempDir(t, 'berth-data-');
    const project = await demoProject(t);
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/berth.mjs', 'serve', '--data-dir', dataDir, '--port', String(port), '--runtime', 'local'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_LOG_LEVEL: 'warn' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    t.after(() => {
      child.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok === true, 20_000, () => output);
    const token = (await readFile(join(dataDir, 'cli-token'), 'utf8')).trim();
    const client = new BerthClient({ url, token });
    await client.addProject(project.dir, 'proj');
    const { session } = await client.startSession('proj', 'main.orchest');
    await waitFor(async () => (await client.getSession(session.uuid)).session.status === 'running', 30_000, () => output);
    const pidsBefore = pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).sort();
    assert.ok(pidsBefore.length >= 2);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await sleep(300);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).sort(), pidsBefore, 'services outlive a crash of Berth');

    const { server } = await startTestServer(t, { dataDir });
    const adopted = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(adopted.status, 'running');
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).sort(), pidsBefore, 'adopted, not restarted');
    await server.sessions.stop(session.uuid);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid), []);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`condition not met within ${timeoutMs} ms\n${context()}`);
}

function redisPing(endpoint: ServiceEndpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectToService(endpoint, () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      resolve(d.toString().trim());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}
