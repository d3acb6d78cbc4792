/**
 * bench/local-spawn: what starting a local service costs the server's event loop, and what the
 * proxy's first connection into an isolated session costs (docs/runtimes/local.md, "The launcher"
 * and "How the proxy reaches an isolated service").
 *
 *   npm run bench:local-spawn                   # 20 spawns per row, heaps of 0 and 300 MB
 *   npm run bench:local-spawn -- --spawns 40 --heap 600
 *
 * Rows, measured in the same run: `spawn` from this process (the peer: what the server did before),
 * against `launcher.launch`, with this process's heap grown as a busy server's is. For each, the
 * time the call held the event loop (its synchronous part) and the longest gap a 1 ms timer saw
 * while the spawns ran. Then `Runtime.dial` into an isolated session: its first connect (it starts
 * the session's dialer) and later ones, when namespaces work here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import type { Endpoint } from '../../src/runtime/index.ts';
import { launcher } from '../../src/runtime/local/launcher.ts';
import { createLocalRuntime } from '../../src/runtime/local/index.ts';
import { servicePlan } from '../../src/runtime/local/fixtures.ts';
import { probeNamespaces } from '../../src/runtime/local/isolation/mode.ts';

const { values: args } = parseArgs({ options: { spawns: { type: 'string', default: '20' }, heap: { type: 'string', default: '300' } } });
const SPAWNS = Number(args.spawns);
const heapTargets = [0, Number(args.heap)];
const SLEEP = { file: '/bin/sh', args: ['-c', 'read line; exit 0'], cwd: '/', env: { PATH: '/usr/bin:/bin' }, logFile: '/dev/null' };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rssMb = () => process.memoryUsage().rss / 1e6;

/** The longest gap between ticks of a 1 ms timer while `work` runs: how long the loop was held at once. */
async function longestGap(work: () => Promise<number[]>): Promise<{ held: number[]; gapMs: number }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  const held = await work();
  clearInterval(timer);
  return { held, gapMs: gap };
}

async function directSpawns(): Promise<number[]> {
  const held: number[] = [];
  for (let i = 0; i < SPAWNS; i += 1) {
    const started = performance.now();
    const child = spawn(SLEEP.file, SLEEP.args, { cwd: SLEEP.cwd, env: SLEEP.env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    held.push(performance.now() - started);
    child.stdin.end('\n');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return held;
}

async function launcherSpawns(): Promise<number[]> {
  const held: number[] = [];
  for (let i = 0; i < SPAWNS; i += 1) {
    const started = performance.now();
    const pending = launcher.launch(SLEEP); // the synchronous part: a message on the IPC channel
    held.push(performance.now() - started);
    const child = await pending;
    child.ref();
    child.release();
    await child.exited;
    child.unref();
  }
  return held;
}

const keep: unknown[] = [];
function growHeapTo(mb: number): void {
  // Objects, as a server's sessions and plans are: fork copies their page tables.
  while (rssMb() < mb) keep.push(Array.from({ length: 10_000 }, (_, i) => ({ i, name: `service-${i}` })));
}

/** Waits until the holder's probe says something listens on the port inside (no dialer involved). */
async function listening(endpoint: Endpoint): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect({ path: endpoint.probeSocketPath! });
      socket.on('data', (chunk) => (text += String(chunk)));
      socket.once('close', () => resolve(text.trim()));
      socket.once('error', () => resolve(''));
    });
    if (answer === 'ok') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the service inside never listened');
}

async function dialTimes(): Promise<{ first: number[]; later: number[] } | undefined> {
  if (probeNamespaces() !== undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-dial-'));
  const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 300, isolation: 'namespace' });
  const first: number[] = [];
  const later: number[] = [];
  const listener = "require('node:net').createServer(() => undefined).listen(5000, '127.0.0.1')";
  try {
    for (let round = 0; round < 5; round += 1) {
      const sid = `${round}`.repeat(36);
      await runtime.prepareSession(sid, {});
      await runtime.start(servicePlan({ name: 'app', sessionUuid: sid, command: [process.execPath], args: ['-e', listener], ports: [5000] }), { logFile: join(dir, `${round}.log`) });
      await listening(await runtime.endpoint({ runtime: 'local', id: '', sessionUuid: sid, service: 'app' }, 5000));
      const firstStarted = performance.now();
      (await runtime.dial!(sid, 5000)).destroy();
      first.push(performance.now() - firstStarted);
      const started = performance.now();
      (await runtime.dial!(sid, 5000)).destroy();
      later.push(performance.now() - started);
      for (const object of await runtime.list({})) await runtime.stop(object.ref);
      await runtime.cleanupSession(sid);
    }
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { first, later };
}

console.log(`bench/local-spawn  ${new Date().toISOString()}  node ${process.version}  ${SPAWNS} spawns per row\n`);
for (const target of heapTargets) {
  growHeapTo(target);
  const direct = await longestGap(directSpawns);
  const launched = await longestGap(launcherSpawns);
  const rss = rssMb().toFixed(0);
  console.log(`this process at ${rss} MB RSS:`);
  console.log(`  spawn (peer)     holds the loop: median ${median(direct.held).toFixed(2)} ms, max ${Math.max(...direct.held).toFixed(2)} ms; longest gap ${direct.gapMs.toFixed(1)} ms`);
  console.log(`  launcher.launch  holds the loop: median ${median(launched.held).toFixed(2)} ms, max ${Math.max(...launched.held).toFixed(2)} ms; longest gap ${launched.gapMs.toFixed(1)} ms`);
  console.log(`  ratio launcher / spawn (median hold): ${(median(launched.held) / median(direct.held)).toFixed(3)}x`);
}
const dials = await dialTimes();
if (dials) {
  console.log(`\nRuntime.dial into an isolated session (5 sessions): first connect (starts the dialer) median ${median(dials.first).toFixed(1)} ms, ` +
    `range ${Math.min(...dials.first).toFixed(1)}-${Math.max(...dials.first).toFixed(1)} ms; a later connect median ${median(dials.later).toFixed(2)} ms, ` +
    `range ${Math.min(...dials.later).toFixed(2)}-${Math.max(...dials.later).toFixed(2)} ms`);
} else {
  console.log('\nRuntime.dial: skipped, namespaces do not work here');
}
launcher.stop();
