import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { route, startProxyServer } from '../../../proxy/fixtures/http.ts';
import { echo, openSocket } from '../../../proxy/fixtures/ws.ts';
import { skipUnless, type Requirement } from '../../../../test/support/requirements.ts';
import { createLocalRuntime } from '../runtime.ts';
import { servicePlan } from '../fixtures.ts';
import { processCommand, readProcStat } from '../procfs.ts';
import { probeNamespaces } from './mode.ts';

const problem = probeNamespaces();
const namespaces: Requirement = { ok: problem === undefined, what: 'Linux network and mount namespaces', fix: problem ?? '' };

/** A TCP service that speaks first (as SSH, SMTP, MySQL do), then echoes in upper case. */
function bannerService(sessionUuid: string, port: number) {
  const script = `require('node:net').createServer((s) => { s.write('hello from inside\\n'); s.on('data', (d) => s.write(String(d).toUpperCase())); }).listen(${port}, '127.0.0.1')`;
  return servicePlan({ name: 'banner', sessionUuid, command: [process.execPath], args: ['-e', script], ports: [port] });
}

function readUntil(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    socket.setEncoding('utf8');
    socket.on('data', function collect(chunk: string) {
      seen += chunk;
      if (seen.includes(text)) {
        socket.off('data', collect);
        resolve(seen);
      }
    });
    socket.once('error', reject);
  });
}

async function dialWhenListening(dial: () => Promise<Socket>): Promise<Socket> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await dial();
    } catch (error) {
      if ((error as { code?: string }).code !== 'ECONNREFUSED' || attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Live children of this test process running the dialer (nsenter execs node dialer.mjs in its place). */
function dialerPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const stat = readProcStat(pid);
      return stat?.ppid === process.pid && stat.state !== 'Z' && processCommand(pid).includes('dialer.mjs');
    });
}

/** A namespace-mode runtime in a temp dir with session `sid` prepared; everything removed after the test. */
async function isolatedSession(t: TestContext, sid: string) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dialer-'));
  const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500, isolation: 'namespace' });
  t.after(async () => {
    for (const object of await runtime.list({})) await runtime.stop(object.ref);
    await runtime.cleanupSession(sid);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await runtime.prepareSession(sid, {});
  return { dir, runtime, sid };
}

describe('local runtime: the proxy dialer of an isolated session', skipUnless(namespaces), () => {
  test('hands over a socket connected inside: nothing the service sent first is lost, a closed port is ECONNREFUSED, cleanup ends the dialer', async (t) => {
    const { dir, runtime, sid } = await isolatedSession(t, 'e'.repeat(36));
    const before = dialerPids();
    await runtime.start(bannerService(sid, 7000), { logFile: join(dir, 'banner.log') });

    const socket = await dialWhenListening(() => runtime.dial!(sid, 7000));
    // A socket of the session's loopback, not of a forwarder's Unix socket: the kernel carries the bytes.
    assert.equal(socket.remoteAddress, '127.0.0.1');
    assert.equal(socket.remotePort, 7000);
    assert.equal(await readUntil(socket, '\n'), 'hello from inside\n', 'the banner waited in the kernel for the new owner');
    socket.write('ping');
    assert.equal(await readUntil(socket, 'PING'), 'PING');
    socket.destroy();

    await assert.rejects(runtime.dial!(sid, 7001), { code: 'ECONNREFUSED' });
    assert.ok(dialerPids().length > before.length, 'a dialer runs for the session');
    // As a session's stop does: its services first (cleanupSession removes their state files, and
    // the banner outlived every test run when it came first).
    for (const object of await runtime.list({})) await runtime.stop(object.ref);
    await runtime.cleanupSession(sid);
    for (let i = 0; dialerPids().length > before.length && i < 100; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(dialerPids(), before, 'no dialer is left once the session is cleaned up');
    await assert.rejects(runtime.dial!(sid, 7000), { code: 'BERTH_RUNTIME_NOT_FOUND' });
  });
});

/** GET through the proxy; resolves with the response as soon as its head arrives. */
function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, resolve).on('error', reject).end());
}

describe('proxy: a service of an isolated session, reached through its dialer', skipUnless(namespaces), () => {
  test('streams as it is written, carries a WebSocket and a 1 GiB download', { timeout: 120_000 }, async (t) => {
    const { dir, runtime, sid } = await isolatedSession(t, 'f'.repeat(36));
    const upstream = fileURLToPath(new URL('./fixtures/proxy-upstream.mjs', import.meta.url));
    const ws = createRequire(import.meta.url).resolve('ws');
    await runtime.start(servicePlan({ name: 'app', sessionUuid: sid, command: [process.execPath], args: [upstream, '8080', ws], ports: [8080] }), {
      logFile: join(dir, 'app.log'),
    });
    (await dialWhenListening(() => runtime.dial!(sid, 8080))).destroy();
    // No socketPath: every byte must come through the dialer's sockets (127.0.0.1:8080 of the host is not the service).
    const target = { host: '127.0.0.1', port: 8080, connect: () => runtime.dial!(sid, 8080) };
    const { base, port } = await startProxyServer(t, [route({ sessionUuid: sid, target })]);
    const path = '/service-app-sess1_8080';

    // Streaming: each line is relayed when written, not when the response ends (500 ms later).
    const streamed = await get(`${base}${path}/stream`);
    const arrivals: number[] = [];
    for await (const chunk of streamed) for (const line of String(chunk).trim().split('\n')) arrivals.push(Date.now() - Number(line.split(' at ')[1]));
    assert.equal(arrivals.length, 5);
    assert.ok(Math.max(...arrivals) < 90, `every line arrived within 90 ms of being written (delays: ${arrivals.join(', ')} ms)`);

    const socket = await openSocket(t, `ws://127.0.0.1:${port}${path}/ws`);
    assert.equal(await echo(socket, 'through the dialer'), 'through the dialer');
    assert.equal(await echo(socket, 'y'.repeat(300_000)), 'y'.repeat(300_000));

    const download = await get(`${base}${path}/download`);
    assert.equal(download.statusCode, 200);
    let bytes = 0;
    for await (const chunk of download) bytes += (chunk as Buffer).length;
    assert.equal(bytes, 1024 ** 3);
  });
});
