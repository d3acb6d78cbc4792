/** Measurement helpers for bench/proxy: wrk runs, /proc readings, curl downloads, WS round trips. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

export function run(argv: string[], options: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(output: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const latency = (q: string) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const errorsMatch = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = (errorsMatch ? errorsMatch.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + non2xx;
  return { rps, p50Ms: latency('50'), p99Ms: latency('99'), requests, errors };
}

export async function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const { stdout, stderr, code } = await run(['taskset', '-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  if (code !== 0) throw new Error(`wrk failed for ${url}: ${stderr || stdout}`);
  return parseWrk(stdout);
}

/** CPU seconds (user + system) of the given processes, from /proc/<pid>/stat. */
export async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/** Resident memory in MB summed over the processes (VmRSS). */
export async function rssMb(pids: number[]): Promise<number> {
  let kb = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    kb += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  }
  return kb / 1024;
}

/** A process and its children (nginx: master + worker). */
export async function processTree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return [pid, ...children.split(' ').filter(Boolean).map(Number)];
}

/** Downloads with curl pinned to the load core; returns seconds and the peak RSS growth of `pids`. */
export async function download(url: string, pids: number[], expectBytes: number): Promise<{ seconds: number; rssGrowthMb: number }> {
  const before = await rssMb(pids);
  let peak = before;
  const sampler = setInterval(() => {
    void rssMb(pids).then((mb) => (peak = Math.max(peak, mb)), () => undefined);
  }, 50);
  try {
    const { stdout, code, stderr } = await run(['taskset', '-c', '0', 'curl', '-s', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url]);
    if (code !== 0) throw new Error(`curl failed for ${url}: ${stderr}`);
    const [seconds, size] = stdout.trim().split(' ').map(Number);
    if (size !== expectBytes) throw new Error(`download of ${url} got ${size} bytes, expected ${expectBytes}`);
    peak = Math.max(peak, await rssMb(pids));
    return { seconds: seconds!, rssGrowthMb: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

export async function wsRoundTrips(url: string, messages: number): Promise<{ p50Us: number; p99Us: number }> {
  const script = new URL('./ws-rtt.mjs', import.meta.url).pathname;
  const { stdout, stderr, code } = await run(['taskset', '-c', '0', process.execPath, script, url, String(messages)]);
  if (code !== 0) throw new Error(`ws round trips through ${url} failed: ${stderr}`);
  return JSON.parse(stdout) as { p50Us: number; p99Us: number };
}
