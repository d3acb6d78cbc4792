import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandRequirement, skipUnless, type Requirement } from '../../../../test/support/requirements.ts';
import type { RuntimeError } from '../../errors.ts';
import { createLocalRuntime } from '../runtime.ts';
import { servicePlan } from '../fixtures.ts';
import { readProcStat } from '../procfs.ts';
import { namespaceDir } from './holder.ts';
import { parseIsolationRequest, probeNamespaces, probeOutbound, resolveIsolation } from './mode.ts';

const problem = probeNamespaces();
const namespaces: Requirement = { ok: problem === undefined, what: 'Linux network and mount namespaces', fix: problem ?? '' };
const node = process.execPath;

/** A Node HTTP server on `port` answering `text` (inside the session's namespace when isolated). */
function httpService(sessionUuid: string, name: string, port: number, text: string) {
  const script = `require('node:http').createServer((q, s) => s.end(${JSON.stringify(text)})).listen(${port}, '127.0.0.1')`;
  return servicePlan({ name, sessionUuid, command: [node], args: ['-e', script], ports: [port] });
}

/** What the probe socket answers about a port inside the session. */
function probe(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ path: socketPath });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(answer.trim()));
  });
}

function getVia(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.once('error', reject);
    req.end();
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local runtime: namespace isolation', skipUnless(namespaces), () => {
  test('two sessions serve one port at once; exec runs inside, sees the session hosts file and the service cwd; cleanup ends the holder', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
    const sessions = ['a', 'b'].map((x) => `${x.repeat(18)}${'0'.repeat(18)}`);
    t.after(async () => {
      for (const sid of sessions) {
        for (const object of await runtime.list({})) if (object.ref.sessionUuid === sid) await runtime.stop(object.ref);
        await runtime.cleanupSession(sid);
      }
      rmSync(dir, { recursive: true, force: true });
    });
    assert.deepEqual(runtime.isolation && { mode: runtime.isolation.mode }, { mode: 'namespace' });

    const refs = [];
    for (const [i, sid] of sessions.entries()) {
      await runtime.prepareSession(sid, {});
      const plan = httpService(sid, 'web', 8080, `session ${i}`);
      assert.equal(runtime.internalHostname(plan), `web-${sid}`);
      const ref = await runtime.start(plan, { logFile: join(dir, `${i}.log`) });
      refs.push(ref);
      const endpoint = await runtime.endpoint(ref, 8080);
      assert.equal(endpoint.probeSocketPath, `${endpoint.socketPath}.probe`, 'the forwarder accepts before it dials: port checks ask its probe');
      assert.equal(await until('the service', () => getVia(endpoint.socketPath!)), `session ${i}`);
    }

    const hosts = await runtime.exec(refs[0]!, ['cat', '/etc/hosts']);
    assert.equal(hosts.exitCode, 0);
    assert.match(hosts.output, new RegExp(`^127\\.0\\.0\\.1 web-${sessions[0]} web$`, 'm'));
    assert.doesNotMatch(readFileSync('/etc/hosts', 'utf8'), /web-a{18}/, "the host's /etc/hosts is untouched");
    const pwd = await runtime.exec(refs[0]!, ['pwd']);
    assert.equal(pwd.output.trim(), join(dir, 'state', 'sessions', sessions[0]!, 'web', 'work'), 'exec runs in the service cwd');
    const inside = await runtime.exec(refs[1]!, [node, '-e', "fetch('http://web:8080/').then(r => r.text()).then(console.log)"]);
    assert.equal(inside.output.trim(), 'session 1', 'the plain name reaches the service inside its session');

    const holderFile = join(namespaceDir(join(dir, 'state'), sessions[0]!), 'holder.json');
    const holder = JSON.parse(readFileSync(holderFile, 'utf8')) as { pid: number; nsPid: number };
    await runtime.stop(refs[0]!);
    await runtime.cleanupSession(sessions[0]!);
    const alive = (pid: number) => ![undefined, 'Z'].includes(readProcStat(pid)?.state);
    assert.equal(alive(holder.pid), false, 'the outer holder process is gone (a zombie until Node reaps it is gone)');
    assert.equal(alive(holder.nsPid), false, 'the inner holder process is gone');
    assert.equal(existsSync(join(dir, 'state', 'sessions', sessions[0]!)), false);
  });

  test('a second service of a session on a declared port is refused before it starts; a restart of the same service is not', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
    const sid = 'c'.repeat(36);
    t.after(async () => {
      for (const object of await runtime.list({})) await runtime.stop(object.ref);
      await runtime.cleanupSession(sid);
      rmSync(dir, { recursive: true, force: true });
    });
    await runtime.prepareSession(sid, {});
    const first = await runtime.start(httpService(sid, 'first', 9000, 'first'), { logFile: join(dir, 'first.log') });
    await assert.rejects(runtime.start(httpService(sid, 'second', 9000, 'second'), { logFile: join(dir, 'second.log') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_PORT_SHARED');
      assert.equal(error.message, 'service second: port 9000 (services.second.ports[0]) cannot be used: service first of this session already uses it');
      return true;
    });
    await runtime.stop(first);
    const again = await runtime.start(httpService(sid, 'first', 9000, 'again'), { logFile: join(dir, 'first.log') });
    assert.equal(await until('the restarted service', () => getVia(join(namespaceDir(join(dir, 'state'), sid), '9000'))), 'again');
    await runtime.stop(again);
  });

  test('a port taken on the host does not matter to an isolated session', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
    const sid = 'd'.repeat(36);
    const hostServer = createServer(() => undefined);
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    const port = (hostServer.address() as { port: number }).port;
    t.after(async () => {
      for (const object of await runtime.list({})) await runtime.stop(object.ref);
      await runtime.cleanupSession(sid);
      hostServer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await runtime.prepareSession(sid, {});
    await runtime.start(httpService(sid, 'web', port, 'inside'), { logFile: join(dir, 'web.log') });
    assert.equal(await until('the service', () => getVia(join(namespaceDir(join(dir, 'state'), sid), String(port)))), 'inside');
  });

  test('the probe socket tells a listener inside from a forwarder with nothing behind it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
    const sid = 'e'.repeat(36);
    t.after(async () => {
      for (const object of await runtime.list({})) await runtime.stop(object.ref);
      await runtime.cleanupSession(sid);
      rmSync(dir, { recursive: true, force: true });
    });
    await runtime.prepareSession(sid, {});
    const silent = await runtime.start(servicePlan({ name: 'silent', sessionUuid: sid, command: ['sleep'], args: ['30'], ports: [7000] }), { logFile: join(dir, 'silent.log') });
    const endpoint = await runtime.endpoint(silent, 7000);
    assert.equal(await probe(endpoint.probeSocketPath!), 'refused ECONNREFUSED');
    const web = await runtime.start(httpService(sid, 'web', 7001, 'up'), { logFile: join(dir, 'web.log') });
    const webEndpoint = await runtime.endpoint(web, 7001);
    assert.equal(await until('a listener', async () => ((await probe(webEndpoint.probeSocketPath!)) === 'ok' ? 'ok' : undefined)), 'ok');
  });

  test('heldSessions names a session by its holder alone, as a later runtime object on the state dir sees it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const stateDir = join(dir, 'state');
    const runtime = createLocalRuntime({ stateDir, graceMs: 500, isolation: 'namespace' });
    const sid = 'f'.repeat(36);
    t.after(async () => {
      await runtime.cleanupSession(sid);
      rmSync(dir, { recursive: true, force: true });
    });
    await runtime.prepareSession(sid, {});
    // Only the holder is left: recovery must still find the session.
    rmSync(join(stateDir, 'sessions'), { recursive: true });
    rmSync(join(stateDir, 'instances'), { recursive: true });
    const later = createLocalRuntime({ stateDir, isolation: 'host' });
    assert.deepEqual(await later.heldSessions?.(), [sid]);
    await later.cleanupSession(sid);
    assert.deepEqual(await later.heldSessions?.(), []);
    assert.equal(existsSync(namespaceDir(stateDir, sid)), false);
  });
});

test('a host-mode runtime (Berth restarted with BERTH_LOCAL_ISOLATION=host) still removes the holder of a namespace session', skipUnless(namespaces), async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
  const stateDir = join(dir, 'state');
  const sid = '9'.repeat(36);
  t.after(async () => {
    await createLocalRuntime({ stateDir, isolation: 'namespace' }).cleanupSession(sid);
    rmSync(dir, { recursive: true, force: true });
  });
  await createLocalRuntime({ stateDir, isolation: 'namespace' }).prepareSession(sid, {});
  const holder = JSON.parse(readFileSync(join(namespaceDir(stateDir, sid), 'holder.json'), 'utf8')) as { pid: number; nsPid: number };
  await createLocalRuntime({ stateDir, graceMs: 500, isolation: 'host' }).cleanupSession(sid);
  const alive = (pid: number) => ![undefined, 'Z'].includes(readProcStat(pid)?.state);
  assert.deepEqual([alive(holder.pid), alive(holder.nsPid), existsSync(namespaceDir(stateDir, sid))], [false, false, false]);
});

describe('local runtime: outbound network of an isolated session', skipUnless(namespaces), () => {
  // Root with slirp4netns (CI): the session must get it. Elsewhere (no slirp4netns, or /dev/net/tun
  // closed to this user) the holder says why not, and the session has loopback only.
  const slirp = commandRequirement('slirp4netns', 'apt-get install slirp4netns').ok;
  test(slirp && process.getuid?.() === 0 ? 'slirp4netns gives the session a NATed tap0, not the host loopback' : 'without slirp4netns the session has loopback only, and says why', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-iso-unit-'));
    const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
    const sid = 'f'.repeat(36);
    const hostServer = createServer((socket) => socket.end('host loopback\n'));
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    const hostPort = (hostServer.address() as { port: number }).port;
    t.after(async () => {
      for (const object of await runtime.list({})) await runtime.stop(object.ref);
      await runtime.cleanupSession(sid);
      hostServer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await runtime.prepareSession(sid, {});
    const ref = await runtime.start(servicePlan({ name: 'idle', sessionUuid: sid, command: ['sleep'], args: ['30'] }), { logFile: join(dir, 'idle.log') });
    const holder = JSON.parse(readFileSync(join(namespaceDir(join(dir, 'state'), sid), 'holder.json'), 'utf8')) as { network: string };
    const addresses = (await runtime.exec(ref, ['ip', '-o', '-4', 'addr'])).output;
    const route = (await runtime.exec(ref, ['ip', 'route'])).output;
    if (slirp && process.getuid?.() === 0) {
      assert.equal(holder.network, 'slirp4netns');
      assert.match(addresses, /tap0\s+inet 10\.0\.2\.100\/24/);
      assert.match(route, /^default via 10\.0\.2\.2 dev tap0/m);
    } else {
      assert.match(holder.network, /^none: /);
      assert.doesNotMatch(addresses, /tap0/);
      assert.equal(route.trim(), '');
    }
    const reach = await runtime.exec(ref, [node, '-e', `require('node:net').connect(${hostPort}, '10.0.2.2').on('data', (d) => console.log(String(d))).on('error', (e) => console.log(e.code))`]);
    assert.doesNotMatch(reach.output, /host loopback/, "the host's own loopback stays out of reach");
  });
});

test('BERTH_LOCAL_ISOLATION accepts auto, namespace or host and names itself otherwise', () => {
  assert.equal(parseIsolationRequest(undefined, 'BERTH_LOCAL_ISOLATION'), 'auto', 'isolated where namespaces and outbound network work');
  assert.equal(parseIsolationRequest('auto', 'BERTH_LOCAL_ISOLATION'), 'auto');
  assert.throws(
    () => parseIsolationRequest('netns', 'BERTH_LOCAL_ISOLATION'),
    (error: RuntimeError) => error.code === 'BERTH_RUNTIME_ISOLATION_INVALID' && error.message === 'BERTH_LOCAL_ISOLATION is "netns"; it must be auto, namespace or host',
  );
});

test('auto isolates only where a session would have outbound network, and says why not otherwise', () => {
  const chosen = resolveIsolation('auto', undefined);
  const outbound = probeOutbound();
  if (probeNamespaces() !== undefined) return assert.equal(chosen.mode, 'host');
  assert.equal(chosen.mode, outbound === undefined ? 'namespace' : 'host', chosen.reason);
  if (outbound !== undefined) assert.match(chosen.reason, /no outbound network: .*BERTH_LOCAL_ISOLATION=namespace isolates anyway/);
  else assert.match(chosen.reason, /outbound network through slirp4netns/);
});
