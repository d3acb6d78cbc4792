/**
 * bench/liveness: three costs behind docs/security.md, "Scale and liveness", each against its peer
 * measured in the same run.
 *
 *   npm run bench:liveness                  # 200 process groups, 3 fresh fetch clients
 *   npm run bench:liveness -- --groups 400 --clients 5
 *
 * - `kill`: a SIGTERM that ends a `sleep` (its process group), against a SIGWINCH that ends nothing:
 *   what a stop's signal costs the process that sends it (why stops yield every BATCH items).
 * - first `fetch` in a fresh Node process, against its next calls, to an idle local server: what the
 *   scale test's health sampler pays once (why it warms up against a server of its own).
 * - the lag a 60 ms turn leaves, as perf_hooks' monitorEventLoopDelay records it and as a 10 ms
 *   timer of our own sees it (why slots.ts times the loop itself).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { groups: { type: 'string', default: '200' }, clients: { type: 'string', default: '3' } } });
const GROUPS = Number(args.groups);
const CLIENTS = Number(args.clients);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(3)} ms`;

async function sleepGroups(): Promise<number[]> {
  const pids = Array.from({ length: GROUPS }, () => {
    const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    child.unref();
    return child.pid!;
  });
  await sleep(1_500); // every one exec'd and asleep
  return pids;
}

/** Per-call time of `process.kill(-pgid, signal)` over every group. */
function killEach(pids: number[], signal: NodeJS.Signals): number {
  const started = performance.now();
  for (const pid of pids) process.kill(-pid, signal);
  return (performance.now() - started) / pids.length;
}

async function killCost(): Promise<void> {
  const pids = await sleepGroups();
  try {
    const endsNothing = killEach(pids, 'SIGWINCH');
    const ends = killEach(pids, 'SIGTERM');
    console.log(`kill, ${GROUPS} sleep groups: SIGTERM (ends it) ${ms(ends)} a call; SIGWINCH (ends nothing) ${ms(endsNothing)}; ratio ${(ends / endsNothing).toFixed(0)}x`);
  } finally {
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ended by the SIGTERM
      }
    }
  }
}

async function firstFetch(): Promise<void> {
  const server = createServer((request, response) => response.end('{"ok":true}')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const script = `const times = []; for (let i = 0; i < 4; i++) { const s = performance.now(); await (await fetch(${JSON.stringify(url)})).arrayBuffer(); times.push(performance.now() - s); } console.log(JSON.stringify(times));`;
  const firsts: number[] = [];
  const laters: number[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    // The client is a process of its own; this one only serves (spawnSync would block the server).
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    await once(child, 'exit');
    const [first, ...rest] = JSON.parse(output) as number[];
    firsts.push(first!);
    laters.push(...rest);
  }
  server.close();
  console.log(`fetch from a fresh process, ${CLIENTS} processes: first call ${firsts.map((v) => v.toFixed(0)).join('/')} ms; later calls median ${median(laters).toFixed(1)} ms (${laters.map((v) => v.toFixed(0)).join('/')}); ratio ${(median(firsts) / median(laters)).toFixed(0)}x`);
}

async function blockedLoop(): Promise<void> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let due = performance.now() + 10;
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - due);
    due = now + 10;
  }, 10);
  await sleep(50);
  histogram.reset();
  longest = 0;
  const end = Date.now() + 60;
  while (Date.now() < end) {
    // a 60 ms turn
  }
  await sleep(30);
  clearInterval(timer);
  histogram.disable();
  console.log(`a 60 ms turn: monitorEventLoopDelay's longest sample ${(histogram.max / 1e6).toFixed(1)} ms (its 10 ms interval included); a 10 ms timer of our own ran ${longest.toFixed(1)} ms late`);
}

console.log(`node ${process.version}, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs`);
await killCost();
await firstFetch();
await blockedLoop();
