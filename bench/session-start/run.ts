/**
 * bench/session-start: how long after the slowest service's own readiness Berth reports the
 * session running, for 1, 5 and 20 services, next to a peer measured in the same run: a minimal
 * supervisor that spawns the same programs in parallel and polls their ports at the same interval
 * as Berth's default readiness check (100 ms), so the ratio isolates Berth's own work.
 *
 *   npm run bench:session-start                # local runtime
 *   npm run bench:session-start -- --runtime docker --docker-host unix:///var/run/docker.sock
 *
 * Each service is a tiny Node server that records the moment its port opened (epoch ms with
 * sub-ms precision) in its log, so "its own readiness" is measured by the service itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startServer } from '../../src/server/index.ts';
import type { SessionEvent } from '../../src/sessions/index.ts';

const SERVICE = `
import { createServer } from 'node:net';
const port = Number(process.argv[2]);
const delay = Number(process.argv[3]);
setTimeout(() => {
  const server = createServer((s) => s.end());
  server.listen(port, '127.0.0.1', () => console.log('ready-at ' + (performance.timeOrigin + performance.now()).toFixed(3)));
}, delay);
`;

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'local' },
    'docker-host': { type: 'string' },
    sizes: { type: 'string', default: '1,5,20' },
    repeat: { type: 'string', default: '3' },
  },
});

const PEER_POLL_MS = 100;
const now = () => performance.timeOrigin + performance.now();
const sizes = args.sizes.split(',').map(Number);
const repeat = Number(args.repeat);

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const docker = args.runtime === 'docker';
const DOCKER_IMAGE = 'localhost/redis:7';

/** One service of the benchmark: a Node server on the local runtime, Redis in a container on docker. */
function serviceFor(port: number, i: number): Record<string, unknown> {
  const common = { name: `svc${i}`, exposed: false, scope: ['interactive'], order: i };
  if (docker) return { ...common, image: DOCKER_IMAGE, ports: [6379] };
  return {
    ...common,
    image: 'node',
    command: 'node',
    args: `/project-dir/svc.mjs ${port} ${delayOf(i)}`,
    binds: { '/project-dir': '/project-dir' },
    ports: [port],
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** When the service itself said it was ready: our Node server's line, or Redis's own log line. */
function readyTimeIn(log: string): number {
  const ours = /ready-at (\S+)/.exec(log);
  if (ours) return Number(ours[1]);
  // redis: "1:M 28 Nov 2026 23:40:00.123 * Ready to accept connections tcp" (container clock, UTC)
  const redis = /(\d+) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) \* Ready to accept connections/.exec(log);
  if (!redis) return NaN;
  const [, d, mon, y, h, m, sec, ms] = redis;
  return Date.UTC(Number(y), MONTHS.indexOf(mon!), Number(d), Number(h), Number(m), Number(sec), Number(ms));
}

/** The docker peer: `docker run -d` of the same image N times in parallel from a shell script, until each answers PING. */
async function dockerPeerRun(size: number): Promise<number> {
  const host = args['docker-host'] ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const script = `
    set -e; ids=$(mktemp)
    for i in $(seq 1 ${size}); do docker run -d --label berth-bench=peer -p 127.0.0.1::6379 ${DOCKER_IMAGE} >> "$ids" & done; wait
    for id in $(cat "$ids"); do
      ( port=$(docker port "$id" 6379/tcp | head -1 | sed 's/.*://')
        until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.02; done ) &
    done; wait
    echo "$ids"`;
  const start = now();
  const idsFile = await run('bash', ['-c', script], { DOCKER_HOST: host });
  const elapsed = now() - start;
  await run('bash', ['-c', `docker rm -f $(cat ${idsFile.trim()}) >/dev/null; rm -f ${idsFile.trim()}`], { DOCKER_HOST: host });
  return elapsed;
}

function run(command: string, argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}`))));
  });
}

/** Service i opens its port after 50 + 5*i ms, so readiness times are spread as in real sessions. */
const delayOf = (i: number) => 50 + 5 * i;

async function peerRun(dir: string, ports: number[]): Promise<number> {
  const start = now();
  const children: ChildProcess[] = ports.map((port, i) =>
    spawn(process.execPath, [join(dir, 'svc.mjs'), String(port), String(delayOf(i))], { stdio: 'ignore' }),
  );
  try {
    await Promise.all(
      ports.map(async (port) => {
        while (!(await portOpen(port))) await new Promise((r) => setTimeout(r, PEER_POLL_MS));
      }),
    );
    return now() - start;
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-bench-data-'));
  const projectRoot = await mkdtemp(join(tmpdir(), 'berth-bench-project-'));
  const server = await startServer({
    dataDir,
    port: 0,
    runtime: args.runtime as 'local' | 'docker',
    ...(args['docker-host'] ? { dockerHost: args['docker-host'] } : {}),
    logger: pino({ level: 'silent' }),
    graceMs: 1000,
  });
  const rows: Record<string, number | string>[] = [];
  try {
    for (const size of sizes) {
      const dir = join(projectRoot, `n${size}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'svc.mjs'), SERVICE);
      const ports = await freePorts(size);
      const services = Object.fromEntries(ports.map((port, i) => [`svc${i}`, serviceFor(port, i)]));
      const uuid = `00000000-0000-4000-8000-${String(size).padStart(12, '0')}`;
      const pipeline = { name: `bench-${size}`, uuid, version: '1.2.3', steps: {}, parameters: {}, settings: {}, services };
      await writeFile(join(dir, 'bench.orchest'), JSON.stringify(pipeline, null, 4));
      const project = await server.projects.add(dir, `bench-${size}`);
      const pipelineRef = await server.projects.pipeline(project, 'bench.orchest');
      for (let round = 0; round < repeat; round += 1) {
        const runningAt = new Promise<number>((resolve, reject) => {
          const onEvent = (event: SessionEvent) => {
            if (event.type !== 'session') return;
            if (event.status !== 'running' && event.status !== 'failed') return;
            server.sessions.off('event', onEvent);
            if (event.status === 'running') resolve(now());
            else reject(new Error(event.reason ?? 'failed'));
          };
          server.sessions.on('event', onEvent);
        });
        const start = now();
        const session = await server.sessions.start({
          projectUuid: project.uuid,
          pipelinePath: 'bench.orchest',
          spec: pipelineRef.spec,
          projectDir: dir,
          type: 'interactive',
          userEnv: {},
        });
        const running = await runningAt;
        // Container logs are shipped asynchronously: give the last lines a moment to arrive.
        const readyTimes = await Promise.all(
          session.services.map(async (s) => {
            for (let attempt = 0; attempt < 40; attempt += 1) {
              const time = readyTimeIn(await readFile(s.logFile, 'utf8'));
              if (!Number.isNaN(time)) return time;
              await new Promise((r) => setTimeout(r, 50));
            }
            return NaN;
          }),
        );
        const slowest = Math.max(...readyTimes);
        await server.sessions.stop(session.uuid);
        const peer = docker ? await dockerPeerRun(size) : await peerRun(dir, ports);
        rows.push({
          services: size,
          round: round + 1,
          'slowest ready (ms)': +(slowest - start).toFixed(1),
          'berth running (ms)': +(running - start).toFixed(1),
          'berth overhead (ms)': +(running - slowest).toFixed(1),
          'peer all ready (ms)': +peer.toFixed(1),
          'berth / peer': +((running - start) / peer).toFixed(2),
        });
      }
    }
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(projectRoot, { recursive: true, force: true });
  }
  console.log(`runtime: ${server.runtimeDescription}; ${repeat} rounds per size; load: ${(await readFile('/proc/loadavg', 'utf8')).trim()}`);
  console.table(rows);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  for (const size of sizes) {
    const mine = rows.filter((r) => r.services === size);
    console.log(
      `${String(size).padStart(3)} services: median overhead after the slowest service was ready ${median(mine.map((r) => r['berth overhead (ms)'] as number))} ms; median berth/peer ${median(mine.map((r) => r['berth / peer'] as number))}`,
    );
  }
}

await main();
