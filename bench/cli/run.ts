/**
 * bench/cli: how quickly `berth` answers and how much memory its long-running processes hold, side
 * by side in one run with the floor every Node program pays (`node -e 0`, and an idle `node`):
 *
 *   - wall time of `berth --version`, `berth validate` of the demo, and `berth session status`
 *     against a running `berth serve` (random port, temporary data directory, the demo project);
 *   - idle resident memory (VmRSS) of `berth serve` and `berth proxy` once they have settled.
 *
 *   npm run bench:cli                      # 10 runs per command, 5 s settling, 3 servers
 *   npm run bench:cli -- --repeat 20 --settle 10 --servers 5
 *
 * A server's idle memory moves with how far its heap grew while starting, so it is read off several
 * servers (each started, asked for `session status` three times, then left to settle).
 *
 * It builds dist/ first (`berth` runs the bundle while it is fresh, see bin/berth.mjs) and says when
 * src/ changed during the run, as `berth` then ran through tsx. Run it on a quiet machine: the
 * figures are for the record. Writes bench/results/cli-<date>.json and .txt.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freshDist } from '../../bin/fresh-dist.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BERTH = join(root, 'bin', 'berth.mjs');
const DEMO = join(root, 'examples', 'demo', 'demo.orchest');

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '10' },
    settle: { type: 'string', default: '5' },
    servers: { type: 'string', default: '3' },
  },
});
const repeat = Number(args.repeat);
const settleMs = Number(args.settle) * 1000;
const servers = Math.max(1, Number(args.servers));

/** The issue's targets on a 2-core machine (issue 15): seconds for commands, MB for idle processes. */
const TARGETS: Record<string, string> = {
  'berth --version': '≤ 0.15 s',
  'berth session status': '≤ 0.25 s',
  'berth serve (idle)': '≤ 80 MB',
  'berth proxy (idle)': '≤ 60 MB',
};

const env = { ...process.env, NO_COLOR: '1', BERTH_URL: '', BERTH_TOKEN: '' };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Wall time of one run of argv, in seconds; throws when it fails, so a broken command is never timed. */
async function timeRun(argv: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr}`);
  return seconds;
}

/** Starts a long-running process and waits for the first http:// URL it prints. */
async function startPrinting(argv: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} printed no URL in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return { child, url };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Idle VmRSS of a started process after `settleMs`, then stops it. */
async function idleRss(child: ChildProcess): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const mb = await rssMb(child.pid!);
  await stop(child);
  return mb;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Row {
  measure: string;
  unit: 's' | 'MB';
  median: number;
  min: number;
  max: number;
  'vs node': number;
  target: string;
}

function row(measure: string, unit: 's' | 'MB', values: number[], floor: number): Row {
  const m = median(values);
  const digits = unit === 's' ? 3 : 1;
  return {
    measure,
    unit,
    median: round(m, digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
    'vs node': round(m / floor, 2),
    target: TARGETS[measure] ?? '',
  };
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const rootUrl = new URL('../../', import.meta.url);
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-bench-cli-'));
  const started: ChildProcess[] = [];
  try {
    const serve = await startPrinting([process.execPath, BERTH, 'serve', '--port', '0', '--data-dir', dataDir, '--demo', '--runtime', 'local']);
    started.push(serve.child);

    const commands: Record<string, string[]> = {
      'node -e 0': [process.execPath, '-e', '0'],
      'berth --version': [process.execPath, BERTH, '--version'],
      'berth validate (demo)': [process.execPath, BERTH, 'validate', DEMO],
      'berth session status': [process.execPath, BERTH, 'session', 'status', '--url', serve.url, '--data-dir', dataDir],
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    await timeRun(commands['berth --version']!); // warms the file cache, not counted
    // Interleaved rounds: a burst of load on the machine hits every command alike.
    for (let round = 0; round < repeat; round++) {
      for (const [name, argv] of Object.entries(commands)) times[name]!.push(await timeRun(argv));
    }

    // Idle memory: `berth serve` (already started and idle since), more servers, then the proxy, then the floor.
    const serveMb = [await idleRss(serve.child)];
    for (let i = 1; i < servers; i++) {
      const other = await mkdtemp(join(tmpdir(), 'berth-bench-cli-'));
      try {
        const more = await startPrinting([process.execPath, BERTH, 'serve', '--port', '0', '--data-dir', other, '--demo', '--runtime', 'local']);
        started.push(more.child);
        for (let n = 0; n < 3; n++) await timeRun([process.execPath, BERTH, 'session', 'status', '--url', more.url, '--data-dir', other]);
        serveMb.push(await idleRss(more.child));
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    }
    const proxy = await startPrinting([process.execPath, BERTH, 'proxy', '--port', '0', '--route', '/service-bench_80=http://127.0.0.1:9']);
    started.push(proxy.child);
    const proxyMb = await idleRss(proxy.child);
    const idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    started.push(idleNode);
    const nodeMb = await idleRss(idleNode);

    const fresh = freshDist(rootUrl) !== undefined;
    const floor = median(times['node -e 0']!);
    const rows: Row[] = [
      ...Object.entries(times).map(([name, values]) => row(name, 's', values, floor)),
      row('node (idle)', 'MB', [nodeMb], nodeMb),
      row('berth serve (idle)', 'MB', serveMb, nodeMb),
      row('berth proxy (idle)', 'MB', [proxyMb], nodeMb),
    ];
    const load = (await readFile('/proc/loadavg', 'utf8')).trim();
    const header = `${repeat} runs per command, ${settleMs / 1000} s settling, ${servers} servers; node ${process.version}; load: ${load}`;
    console.log(header);
    console.table(rows);
    const stale = fresh ? '' : 'WARNING: src/ changed during the run, so some `berth` runs went through tsx (bin/berth.mjs): run again on a quiet tree.';
    if (stale) console.log(stale);

    const results = join(root, 'bench', 'results');
    await mkdir(results, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 10);
    await writeFile(join(results, `cli-${stamp}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, load, repeat, settleSeconds: settleMs / 1000, distFresh: fresh, rows, raw: { ...times, 'berth serve (idle)': serveMb } }, null, 2)}\n`);
    const table = rows.map((r) => `${r.measure.padEnd(24)} ${String(r.median).padStart(8)} ${r.unit.padEnd(2)}  (min ${r.min}, max ${r.max})  ×${r['vs node']} vs node  ${r.target}`);
    await writeFile(join(results, `cli-${stamp}.txt`), `$ npm run bench:cli -- --repeat ${repeat} --settle ${settleMs / 1000} --servers ${servers}\n${header}\n${table.join('\n')}\n${stale ? `${stale}\n` : ''}`);
    console.log(`written: bench/results/cli-${stamp}.json and .txt`);
  } finally {
    for (const child of started) await stop(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
