/**
 * One pipeline must not hang the server. A session of 1,000 services (the limit raised with
 * BERTH_MAX_SERVICES) starts while /api/health keeps answering, and a server SIGKILLed in the middle
 * of that start listens again at once on restart, recovering the session in the background.
 * Figures are reported (t.diagnostic). `npm test` runs this file by itself after the others (its
 * name, scripts/run-tests.mjs), so they are Berth's, not the load of tests beside it; the asserted
 * bounds are liveness bounds all the same, far above what an idle machine shows (docs/security.md,
 * "Scale and liveness", says how the figures compare with the issue's 100 ms).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionFollower, type SessionInfo } from '../../src/api/index.ts';
import { readProcStat } from '../../src/runtime/local/procfs.ts';
import { BerthClient } from '../../src/sdk/client.ts';
import { pidsWithCommandLine, pidsWithEnv } from '../support/processes.ts';
import { tempDir } from '../support/berth.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SERVICES = 1000;
/** A health answer slower than this means the server was not serving. */
const LIVENESS_MS = 2000;

async function writeLargePipeline(dir: string, count: number): Promise<void> {
  const services: Record<string, unknown> = {};
  for (let i = 0; i < count; i += 1) {
    // A port each (the file format wants one), never listened on: readiness none.
    services[`s${i}`] = { name: `s${i}`, image: 'sleep', command: 'sleep', args: '600', scope: ['interactive'], ports: [21000 + i], exposed: false, order: i, readiness: { type: 'none' } };
  }
  const pipeline = { name: 'large', uuid: '5ca1e000-0000-4000-8000-000000000001', version: '1.2.3', steps: {}, parameters: {}, settings: {}, services };
  await writeFile(join(dir, 'large.orchest'), JSON.stringify(pipeline));
}

interface Served {
  process: ChildProcess;
  client: BerthClient;
  url: string;
  /** Spawn to the first /api/health answer. */
  listenMs: number;
}

/** Set: every server of the test writes a CPU profile there (`--cpu-prof`; Node refuses it in NODE_OPTIONS). */
const PROFILE_DIR = process.env.BERTH_SCALE_PROFILE_DIR;

/** `berth serve` as users run it, on a random port; resolves once /api/health answers. */
async function serve(t: TestContext, dataDir: string): Promise<Served> {
  const started = Date.now();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, 'bin/berth.mjs', 'serve', '--runtime', 'local', '--data-dir', dataDir, '--log-format', 'json'], {
    cwd: ROOT,
    env: { ...process.env, BERTH_PORT: '0', BERTH_MAX_SERVICES: String(SERVICES), BERTH_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(PROFILE_DIR ? 'SIGTERM' : 'SIGKILL'); // a profile is written at a clean exit
      await once(child, 'exit');
    }
  });
  for (let i = 0; i < 600; i += 1) {
    const info = readServerInfo(dataDir);
    if (info && info.pid === child.pid && (await healthMs(info.url)) !== undefined) {
      const token = readFileSync(join(dataDir, 'cli-token'), 'utf8').trim();
      return { process: child, client: new BerthClient({ url: info.url, token }), url: info.url, listenMs: Date.now() - started };
    }
    assert.equal(child.exitCode, null, 'berth serve exited');
    await sleep(20);
  }
  assert.fail('berth serve never answered /api/health');
}

function readServerInfo(dataDir: string): { url: string; pid: number } | undefined {
  const file = join(dataDir, 'server.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { url: string; pid: number };
  } catch {
    return undefined; // being written
  }
}

async function healthMs(url: string): Promise<number | undefined> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(LIVENESS_MS * 5) });
    return response.ok ? Date.now() - started : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples /api/health every 25 ms from its first answer until `stop`; every answer's latency. The
 * sampler is a process of its own: this test process parses 1,000-service session views meanwhile,
 * and its own pauses must not be counted as the server's.
 */
async function sampleHealth(url: string): Promise<{ stop(): Promise<number[]> }> {
  // Node loads fetch's implementation at its first call: 60-83 ms in a fresh process against an idle
  // server that answers the next calls in 2-8 ms (npm run bench:liveness). The sampler
  // pays that against a server of its own, so every answer of Berth's is counted, the first included.
  const script = `
    import { createServer } from 'node:http';
    const warm = createServer((request, response) => response.end()).listen(0, '127.0.0.1');
    await new Promise((resolve) => warm.once('listening', resolve));
    await (await fetch('http://127.0.0.1:' + warm.address().port + '/', { signal: AbortSignal.timeout(${LIVENESS_MS * 5}) })).arrayBuffer();
    warm.close();
    let stop = false;
    process.stdin.on('end', () => (stop = true)).resume();
    const latencies = [];
    while (!stop) {
      const started = performance.now();
      try {
        const response = await fetch(${JSON.stringify(`${url}/api/health`)}, { signal: AbortSignal.timeout(${LIVENESS_MS * 5}) });
        await response.arrayBuffer();
        latencies.push(response.ok ? Math.round(performance.now() - started) : null);
      } catch {
        latencies.push(null);
      }
      if (latencies.length === 1) process.stderr.write('sampling\\n');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    process.stdout.write(JSON.stringify(latencies));`;
  const sampler = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  sampler.stdout.on('data', (chunk) => (output += chunk));
  await once(sampler.stderr, 'data'); // the first answer: what follows is measured
  return {
    async stop() {
      sampler.stdin.end();
      await once(sampler, 'exit');
      return (JSON.parse(output) as (number | null)[]).map((ms) => ms ?? Number.POSITIVE_INFINITY);
    },
  };
}

/** CPU time (user and system, every thread) of a process, in ms, from /proc/<pid>/stat (fields 14 and 15, in ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Follows the session as `berth session start --wait` and the UI do: its updates, every 500 ms. */
async function waitForStatus(client: BerthClient, sessionUuid: string, wanted: string, timeoutMs: number): Promise<SessionInfo> {
  const deadline = Date.now() + timeoutMs;
  const follower = new SessionFollower(sessionUuid);
  for (;;) {
    follower.take(await client.call('sessionUpdates', follower.params));
    const session = follower.session!;
    if (session.status === wanted) return session;
    assert.ok(Date.now() < deadline, `session still ${session.status} after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

describe('a 1,000-service pipeline', { timeout: 900_000 }, () => {
  test('starts and stops while /api/health keeps answering; nothing is left', async (t) => {
    const dataDir = await tempDir(t, 'berth-scale-data-');
    const project = await tempDir(t, 'berth-scale-project-');
    await writeLargePipeline(project, SERVICES);
    const served = await serve(t, dataDir);
    const { client, url } = served;
    await client.addProject(project, 'large');

    // Measured from before the start request: reading, checking and planning 1,000 services is part of the start.
    const sampler = await sampleHealth(url);
    const serverCpuFrom = cpuMs(served.process.pid!);
    const t0 = Date.now();
    const { session } = await client.startSession('large', 'large.orchest');
    const settled = await waitForStatus(client, session.uuid, 'running', 600_000);
    const startMs = Date.now() - t0;
    const during = await sampler.stop();
    assert.equal(settled.services.filter((s) => s.status === 'ready').length, SERVICES);
    assert.equal(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).length, SERVICES, 'one process per service');
    t.diagnostic(`start of ${SERVICES} services: ${(startMs / 1000).toFixed(1)} s; /api/health ${during.length} samples, p50 ${percentile(during, 50)} ms, p99 ${percentile(during, 99)} ms, max ${Math.max(...during)} ms; ${during.filter((v) => v > 50).length} over 50 ms`);
    assert.ok(Math.max(...during) < LIVENESS_MS, `/api/health took ${Math.max(...during)} ms during the start`);
    // Where the start's CPU went. The launcher and the holder began with this start; a service's
    // process ran nsenter and the wrapper's shell before it exec'd the service.
    const perService = (pids: number[]) => (pids.reduce((sum, pid) => sum + cpuMs(pid), 0) / SERVICES).toFixed(1);
    t.diagnostic(
      `CPU per service started: server ${((cpuMs(served.process.pid!) - serverCpuFrom) / SERVICES).toFixed(1)} ms (every thread), ` +
        `launcher ${perService(pidsWithCommandLine('launcher.mjs').filter((pid) => readProcStat(pid)?.ppid === served.process.pid))} ms, ` +
        `namespace holder ${perService(pidsWithCommandLine('holder.mjs', dataDir))} ms, the service's own process ${perService(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid))} ms`,
    );

    // What the server spends on 1,000 ready services while nothing happens: the exit watcher's ticks, the resync.
    const idleFrom = cpuMs(served.process.pid!);
    await sleep(10_000);
    t.diagnostic(`idle with ${SERVICES} ready services: server CPU ${((cpuMs(served.process.pid!) - idleFrom) / 10).toFixed(0)} ms a second`);

    const stopping = await sampleHealth(url);
    const t1 = Date.now();
    await client.stopSession(session.uuid);
    const stopMs = Date.now() - t1;
    const duringStop = await stopping.stop();
    t.diagnostic(`stop: ${(stopMs / 1000).toFixed(1)} s; /api/health ${duringStop.length} samples, p99 ${percentile(duringStop, 99)} ms, max ${Math.max(...duringStop)} ms`);
    assert.ok(Math.max(...duringStop) < LIVENESS_MS, `/api/health took ${Math.max(...duringStop)} ms during the stop`);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid), [], 'no service process is left');
  });

  test('a server SIGKILLed during the start listens again at once and finishes the start in the background', async (t) => {
    // The peer: how long this machine takes right now to bring up a server that has nothing to recover.
    const empty = await serve(t, await tempDir(t, 'berth-scale-empty-'));
    empty.process.kill('SIGTERM');
    await once(empty.process, 'exit');

    const dataDir = await tempDir(t, 'berth-scale-kill-');
    const project = await tempDir(t, 'berth-scale-kill-project-');
    await writeLargePipeline(project, SERVICES);
    const first = await serve(t, dataDir);
    await first.client.addProject(project, 'large');
    const { session } = await first.client.startSession('large', 'large.orchest');
    t.after(() => {
      for (const pid of pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid)) process.kill(pid, 'SIGKILL');
    });
    for (let i = 0; i < 1200 && pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).length < SERVICES / 5; i += 1) await sleep(50);
    first.process.kill('SIGKILL');
    await once(first.process, 'exit');
    const survivors = pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).length;

    const second = await serve(t, dataDir);
    t.diagnostic(`${survivors} services were running at the kill; restart listened after ${second.listenMs} ms (an empty server: ${empty.listenMs} ms)`);
    // The issue's bound is 2 s from restart to listening. Against the empty server measured in this run
    // (0.5 s on a quiet machine, over 1 s beside other tests), so that the machine's load is not counted:
    // recovery in the background must add under a second (it added 0.9-2.6 s while it read and decrypted
    // the whole plan on every service event; 0.03-0.14 s since, docs/security.md).
    assert.ok(second.listenMs - empty.listenMs < LIVENESS_MS / 2, `the restart listened ${second.listenMs - empty.listenMs} ms later than an empty server`);

    const sampler = await sampleHealth(second.url);
    await waitForStatus(second.client, session.uuid, 'running', 600_000);
    const during = await sampler.stop();
    t.diagnostic(`recovery: /api/health p99 ${percentile(during, 99)} ms, max ${Math.max(...during)} ms`);
    assert.ok(Math.max(...during) < LIVENESS_MS, `/api/health took ${Math.max(...during)} ms during recovery`);
    assert.equal(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid).length, SERVICES, 'the adopted and the restarted services, once each');

    await second.client.stopSession(session.uuid);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', session.uuid), [], 'no service process is left');
  });
});
