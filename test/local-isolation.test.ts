/**
 * Isolated sessions on the local runtime (BERTH_LOCAL_ISOLATION=namespace): two pipelines with the
 * same Redis 6379 and HTTP 8080 at once, each through its own proxied URL; steps reaching
 * `redis-<sid>:6379` and `redis`; nothing on host ports; SIGKILL of Berth, restart, stop: nothing
 * left (processes, namespaces, sockets, mounts, listed and counted).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './support/ports.ts';
import { livePids, pidsWithCommandLine } from './support/processes.ts';
import { BerthClient, type ApiClientError } from '../src/sdk/client.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { commandRequirement, skipUnless, type Requirement } from './support/requirements.ts';
import { RESP_PY, writeProject } from './jobs-support.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { namespaceDir } from '../src/runtime/local/isolation/holder.ts';
import { readProcStat } from '../src/runtime/local/procfs.ts';
import { createLocalRuntime } from '../src/runtime/local/index.ts';
import { probeNamespaces } from '../src/runtime/local/isolation/mode.ts';

process.env.BERTH_LOCAL_ISOLATION = 'namespace';

const problem = probeNamespaces();
const namespaces: Requirement = { ok: problem === undefined, what: 'Linux network and mount namespaces', fix: problem ?? '' };
const redis = commandRequirement('redis-server', 'apt-get install redis-server');
const python = commandRequirement('python3', 'apt-get install python3');

/** A pipeline with Redis on 6379 and an HTTP server on 8080 serving its own project directory. */
async function samePortsProject(t: Parameters<typeof tempDir>[0], greeting: string) {
  const dir = await tempDir(t, 'berth-iso-');
  await writeFile(join(dir, 'index.html'), greeting);
  const pipeline = await writePipeline(dir, 'main.orchest', {
    services: {
      redis: { image: 'redis', ports: [6379] },
      web: {
        image: 'python',
        command: 'python3',
        args: '-m http.server 8080 --bind 127.0.0.1 --directory /project-dir',
        binds: { '/project-dir': '/project-dir' },
        ports: [8080],
        exposed: true,
      },
    },
  });
  return { dir, pipeline };
}

/** One RESP command over a connected socket (a Unix socket here: the session's forwarder). */
function redisCommand(socketPath: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath }, () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (/\r\n$/.test(data) && !(data.startsWith('$') && data.split('\r\n').length < 3 && !data.startsWith('$-1'))) {
        socket.destroy();
        resolve(data.startsWith('$') && !data.startsWith('$-1') ? data.split('\r\n')[1]! : data.trim());
      }
    });
    socket.once('error', reject);
  });
}

/** Now, in the clock of /proc/<pid>/stat's start times (ticks since boot, 100 a second). */
function ticksSinceBoot(): number {
  return Math.ceil(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/**
 * Network namespaces (`net:[inode]`) some live process that started before `ticks` is in. A freed
 * namespace's inode number is soon given to a new one (another test's container or session, in
 * the suite), so only processes older than the stop can be the session's leftovers: each is
 * listed with its command line.
 */
function netNamespacesHeldSince(ticks: number): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ns = readlinkSync(`/proc/${entry}/ns/net`);
      if ((readProcStat(Number(entry))?.startTime ?? Infinity) > ticks) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      found.set(ns, [...(found.get(ns) ?? []), `${entry} ${command}`]);
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}

/** Pids of live processes in the network namespace `ns` (`net:[inode]`). */
function pidsInNamespace(ns: string): number[] {
  return livePids((pid) => readlinkSync(`/proc/${pid}/ns/net`) === ns);
}

/** Unix socket files under `dir`, recursively. */
function socketFiles(dir: string): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries) {
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      if (stat.isSocket()) found.push(path);
      else if (stat.isDirectory()) found.push(...socketFiles(path));
    } catch {
      // removed while we looked
    }
  }
  return found;
}

/** Lines of /proc/<pid>/mountinfo that mention `needle` (a bind of the session's hosts file). */
function mountsMentioning(pid: number, needle: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((line) => line.includes(needle));
  } catch {
    return [];
  }
}

/** Host TCP listeners (`ss -ltnpH`) held by any of `pids`. */
function hostListenersOf(pids: number[]): string[] {
  const out = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)));
}

/** Live pids of process group `pgid` (the holder's group: its two processes and slirp4netns). */
function pidsInGroup(pgid: number): number[] {
  return livePids((pid) => readProcStat(Number(pid))?.pgid === pgid);
}

function existsAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function holderOf(stateDir: string, sessionUuid: string): { pid: number; nsPid: number } {
  return JSON.parse(readFileSync(join(namespaceDir(stateDir, sessionUuid), 'holder.json'), 'utf8')) as { pid: number; nsPid: number };
}

describe('isolated sessions on the local runtime', skipUnless(namespaces, redis, python), () => {
  test('two pipelines with Redis on 6379 and HTTP on 8080 run at once, each reached through its own URL; nothing listens on a host port; stop leaves nothing', async (t) => {
    const { server, client, token, dataDir } = await startTestServer(t);
    const stateDir = join(dataDir, 'runtime');
    const a = await samePortsProject(t, 'pipeline A');
    const b = await samePortsProject(t, 'pipeline B');
    await client.addProject(a.dir, 'a');
    await client.addProject(b.dir, 'b');
    const { session: sa } = await client.startSession('a', 'main.orchest');
    const { session: sb } = await client.startSession('b', 'main.orchest');
    for (const sid of [sa.uuid, sb.uuid]) {
      const settled = await server.sessions.waitSettled(sid, 30_000);
      assert.equal(settled.status, 'running', JSON.stringify(settled.services.map((s) => [s.name, s.status, s.reason])));
      assert.deepEqual(
        settled.services.map((s) => [s.name, s.internalHostname]),
        [
          ['redis', `redis-${sid}`],
          ['web', `web-${sid}`],
        ],
      );
    }

    for (const [sid, greeting] of [
      [sa.uuid, 'pipeline A'],
      [sb.uuid, 'pipeline B'],
    ] as const) {
      const response = await fetch(`${server.url}/service-web-${sid}_8080/index.html`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), greeting);
    }
    const socketA = join(namespaceDir(stateDir, sa.uuid), '6379');
    const socketB = join(namespaceDir(stateDir, sb.uuid), '6379');
    assert.equal(await redisCommand(socketA, 'SET', 'who', 'a'), '+OK');
    assert.equal(await redisCommand(socketB, 'SET', 'who', 'b'), '+OK');
    assert.equal(await redisCommand(socketA, 'GET', 'who'), 'a', 'each session has its own Redis on 6379');
    assert.equal(await redisCommand(socketB, 'GET', 'who'), 'b');

    const holders = [holderOf(stateDir, sa.uuid), holderOf(stateDir, sb.uuid)];
    const sessionNamespaces = holders.map((h) => readlinkSync(`/proc/${h.nsPid}/ns/net`));
    assert.notEqual(sessionNamespaces[0], sessionNamespaces[1]);
    assert.notEqual(sessionNamespaces[0], readlinkSync('/proc/self/ns/net'));
    const inNamespaces = sessionNamespaces.map((ns, i) => pidsInNamespace(ns).filter((pid) => pid !== holders[i]!.nsPid));
    const dialers = inNamespaces.map((pids) => pids.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dialer.mjs')));
    assert.deepEqual(dialers.map((pids) => pids.length), [1, 1], "the proxy reached each session's service through the session's dialer");
    const inside = inNamespaces.map((pids, i) => pids.filter((pid) => !dialers[i]!.includes(pid)));
    assert.deepEqual(inside.map((pids) => pids.length), [2, 2], 'both services of each session run in its namespace');
    const servicePids = inside.flat();
    assert.deepEqual(hostListenersOf(servicePids), [], 'no service of either session listens on a host port');
    const asUser = process.getuid?.() === 0 ? [] : ['--user', '--preserve-credentials'];
    const ssInside = spawnSync('nsenter', [`--target=${holders[0]!.nsPid}`, ...asUser, '--net', 'ss', '-ltnH'], { encoding: 'utf8' }).stdout;
    assert.match(ssInside, /127\.0\.0\.1:6379 /, 'ss inside the session shows its Redis');
    assert.equal(mountsMentioning(process.pid, join(stateDir, 'ns')).length, 0, 'the hosts bind is not visible on the host');
    assert.equal(mountsMentioning(holders[0]!.nsPid, namespaceDir(stateDir, sa.uuid)).length, 1, 'the session sees its own hosts file');

    const stopping = ticksSinceBoot();
    await server.sessions.stop(sa.uuid);
    await server.sessions.stop(sb.uuid);
    const held = netNamespacesHeldSince(stopping);
    const left = {
      processes: [...servicePids.filter((pid) => existsAlive(pid)), ...dialers.flat().filter((pid) => existsAlive(pid)), ...pidsWithCommandLine(stateDir)],
      namespaces: sessionNamespaces.flatMap((ns) => (held.has(ns) ? [`${ns}: ${held.get(ns)!.join('; ')}`] : [])),
      sockets: socketFiles(stateDir),
    };
    assert.deepEqual(left, { processes: [], namespaces: [], sockets: [] });
  });

  test('two services of a session on one port: the session start is refused before anything starts, naming both and the field', async (t) => {
    const { server, client, dataDir } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-iso-');
    await writePipeline(dir, 'main.orchest', {
      services: {
        first: { image: 'python', command: 'python3', args: '-m http.server 8080 --bind 127.0.0.1', ports: [8080], depends_on: [] },
        second: { image: 'python', command: 'python3', args: '-m http.server 8080 --bind 127.0.0.1', ports: [9000, 8080], depends_on: ['first'] },
      },
    });
    await client.addProject(dir, 'p');
    await assert.rejects(client.startSession('p', 'main.orchest'), (error: ApiClientError) => {
      assert.equal(error.code, 'BERTH_API_PIPELINE_INVALID');
      const [diagnostic, ...more] = error.details as { code: string; path: string; message: string; hint: string }[];
      assert.deepEqual(more, []);
      assert.equal(diagnostic?.code, 'BERTH_SPEC_PORT_SHARED_LOCAL');
      assert.equal(diagnostic.path, 'services.second.ports[1]');
      assert.match(diagnostic.message, /^services\.second\.ports\[1\]: port 8080 is also a port of service "first"/);
      assert.match(diagnostic.hint, /change one of the two ports/);
      return true;
    });
    assert.deepEqual(server.sessions.list({}), [], 'no session was recorded');
    assert.deepEqual(pidsWithCommandLine(join(dataDir, 'runtime')), [], 'no holder or service was started');
  });

  test('a step of `berth pipeline run` reaches redis-<session_uuid>:6379, plain `redis` and the API; a job run of the same pipeline runs beside the session on the same port', async (t) => {
    const { server, client } = await startTestServer(t);
    const jobs = server.jobs;
    const dir = await tempDir(t, 'berth-iso-');
    const probe = [
      'import json, orchest',
      'from resp import command',
      'redis = orchest.get_service("redis")',
      'import os',
      'sid = os.environ["ORCHEST_SESSION_UUID"]',
      'results = {',
      '  "internal_hostname": redis["internal_hostname"],',
      '  "by_orchest_name": command("redis-" + sid, 6379, "SET", "who", os.environ["ORCHEST_SESSION_TYPE"]),',
      '  "by_plain_name": command("redis", 6379, "GET", "who"),',
      '}',
      'json.dump(results, open("result-%s.json" % os.environ["ORCHEST_SESSION_TYPE"], "w"))',
    ].join('\n');
    await writeProject({
      dir,
      file: 'p.orchest',
      services: { redis: { image: 'redis', ports: [6379] } },
      extraFiles: { 'resp.py': RESP_PY },
      steps: [{ title: 'Probe', file: 'probe.py', source: probe }],
    });
    await client.addProject(dir, 'p');
    const record = server.projects.get('p');
    const loaded = await loadPipelineFile(join(record.path, 'p.orchest'));
    assert.ok(loaded.spec);
    const session = await server.sessions.start({
      projectUuid: record.uuid,
      pipelinePath: 'p.orchest',
      spec: loaded.spec,
      projectDir: record.path,
      type: 'interactive',
      userEnv: server.store.mergedEnvVars(record.uuid, loaded.spec.uuid),
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');

    const started = await jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: 'p.orchest', spec: loaded.spec });
    const run = await jobs.waitRun(started.uuid, 60_000);
    assert.equal(run.status, 'succeeded', `${JSON.stringify(run.steps)}\n${await readFile(run.steps[0]!.logFile, 'utf8').catch(() => '')}`);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'result-interactive.json'), 'utf8')), {
      internal_hostname: `redis-${session.uuid}`,
      by_orchest_name: '+OK',
      by_plain_name: 'interactive',
    });

    const job = await jobs.createJob({ projectUuid: record.uuid, pipelinePath: 'p.orchest', spec: loaded.spec, env: {} });
    const jobRun = await jobs.waitRun((await jobs.startRun(job.uuid)).uuid, 60_000);
    assert.equal(jobRun.status, 'succeeded', `${JSON.stringify(jobRun)}\n${await readFile(jobRun.steps[0]?.logFile ?? '/dev/null', 'utf8').catch(() => '')}`);
    assert.deepEqual(JSON.parse(await readFile(join(jobRun.runDir, 'project', 'result-noninteractive.json'), 'utf8')), {
      internal_hostname: `redis-${jobRun.uuid}`,
      by_orchest_name: '+OK',
      by_plain_name: 'noninteractive',
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 1_000)).status, 'running', 'the session ran on beside its job');
  });

  test('SIGKILL of Berth mid-session, restart, stop: the holder and services are adopted, then 0 processes, namespaces, sockets or mounts are left', async (t) => {
    const dataDir = await tempDir(t, 'berth-data-');
    const stateDir = join(dataDir, 'runtime');
    const project = await samePortsProject(t, 'survives');
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/berth.mjs', 'serve', '--data-dir', dataDir, '--port', String(port), '--runtime', 'local'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_LOG_LEVEL: 'warn', BERTH_LOCAL_ISOLATION: 'namespace' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    t.after(() => {
      child.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok === true, 20_000, () => output);
    await waitFor(async () => output.includes('isolation:'), 5_000, () => output);
    assert.match(output, /\n {2}isolation: namespace \(one network namespace per session/, 'the banner says the mode');
    const token = (await readFile(join(dataDir, 'cli-token'), 'utf8')).trim();
    const client = new BerthClient({ url, token });
    await client.addProject(project.dir, 'proj');
    const { session } = await client.startSession('proj', 'main.orchest');
    await waitFor(async () => (await client.getSession(session.uuid)).session.status === 'running', 30_000, () => output);
    assert.equal((await client.getSession(session.uuid)).session.isolation, 'namespace');
    const status = spawnSync(process.execPath, ['bin/berth.mjs', 'session', 'status', '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.match(status.stdout, new RegExp(`redis +ready.* redis-${session.uuid}:6379`), `the CLI shows where steps reach Redis\n${status.stdout}${status.stderr}`);
    const holder = holderOf(stateDir, session.uuid);
    const namespace = readlinkSync(`/proc/${holder.nsPid}/ns/net`);
    const before = pidsInNamespace(namespace).sort();
    assert.equal(before.length, 3, 'the holder and two services');
    const proxied = await fetch(`${url}/service-web-${session.uuid}_8080/index.html`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(await proxied.text(), 'survives');
    assert.equal(pidsInNamespace(namespace).length, 4, 'and the dialer the proxy reached the service through');

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await waitFor(async () => pidsInNamespace(namespace).length === 3, 5_000, () => 'the dialer outlived its server');
    assert.deepEqual(pidsInNamespace(namespace).sort(), before, 'the holder and services outlive a crash of Berth; the dialer does not');

    const { server, token: token2 } = await startTestServer(t, { dataDir });
    const adopted = await server.sessions.waitSettled(session.uuid, 30_000);
    assert.equal(adopted.status, 'running');
    assert.deepEqual(pidsInNamespace(namespace).sort(), before, 'adopted, not restarted');
    assert.deepEqual(holderOf(stateDir, session.uuid), holder);
    const response = await fetch(`${server.url}/service-web-${session.uuid}_8080/index.html`, { headers: { authorization: `Bearer ${token2}` } });
    assert.equal(await response.text(), 'survives');
    const holderPids = pidsWithCommandLine(stateDir);
    assert.equal(holderPids.length, 2, `the holder's outer and inner process: ${holderPids.join(', ')}`);

    const holderGroup = pidsInGroup(holder.pid);
    assert.ok(holderGroup.length >= 2, `the holder's group: ${holderGroup.join(', ')}`);
    const stopping = ticksSinceBoot();
    await server.sessions.stop(session.uuid);
    const held = netNamespacesHeldSince(stopping);
    const left = {
      processes: [...before.filter(existsAlive), ...pidsWithCommandLine(stateDir), ...pidsInGroup(holder.pid)],
      namespaces: held.has(namespace) ? [`${namespace}: ${held.get(namespace)!.join('; ')}`] : [],
      sockets: socketFiles(stateDir),
      mounts: [...mountsMentioning(process.pid, stateDir), ...before.flatMap((pid) => mountsMentioning(pid, stateDir))],
    };
    assert.deepEqual(left, { processes: [], namespaces: [], sockets: [], mounts: [] });
  });

  test('forced host mode: the banner, `session status --json` and the port-in-use hint say so, and services take host ports', async (t) => {
    // Removed by the hook below once its sessions are stopped: node:test runs after-hooks in the order
    // they were added, and a data dir gone first left the CLI no server to stop them through (a
    // python http.server outlived every run).
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-data-'));
    const dir = await tempDir(t, 'berth-iso-');
    const servicePort = await freePort();
    await writePipeline(dir, 'main.orchest', {
      services: { web: { image: 'python', command: 'python3', args: `-m http.server ${servicePort} --bind 127.0.0.1`, ports: [servicePort] } },
    });
    const port = await freePort();
    const env = { ...process.env, BERTH_LOG_LEVEL: 'warn', BERTH_LOCAL_ISOLATION: 'host' };
    const child = spawn(process.execPath, ['bin/berth.mjs', 'serve', '--data-dir', dataDir, '--port', String(port), '--runtime', 'local'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    t.after(async () => {
      for (const project of ['p', 'q']) spawnSync(process.execPath, ['bin/berth.mjs', 'session', 'stop', project, 'main.orchest', '--data-dir', dataDir], { env, encoding: 'utf8' });
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      await rm(dataDir, { recursive: true, force: true });
    });
    await waitFor(async () => output.includes('isolation:'), 20_000, () => output);
    assert.match(output, /\n {2}isolation: host \(services listen on the host's real ports \(forced by BERTH_LOCAL_ISOLATION=host\)\)\n/);

    const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/berth.mjs', ...args, '--data-dir', dataDir], { env, encoding: 'utf8' });
    assert.equal(cli('project', 'add', dir, '--name', 'p').status, 0);
    const started = cli('session', 'start', 'p', 'main.orchest', '--wait', '--json');
    assert.equal(started.status, 0, started.stdout + started.stderr);
    const status = JSON.parse(cli('session', 'status', '--json').stdout) as { sessions: { isolation?: string; services: { internalHostname: string }[] }[] };
    assert.equal(status.sessions[0]!.isolation, 'host');
    assert.equal(status.sessions[0]!.services[0]!.internalHostname, '127.0.0.1');
    assert.match(spawnSync('ss', ['-ltnH'], { encoding: 'utf8' }).stdout, new RegExp(`127\\.0\\.0\\.1:${servicePort} `), 'in host mode the service takes its host port');

    const dir2 = await tempDir(t, 'berth-iso-');
    await writePipeline(dir2, 'main.orchest', {
      services: { web: { image: 'python', command: 'python3', args: `-m http.server ${servicePort} --bind 127.0.0.1`, ports: [servicePort] } },
    });
    assert.equal(cli('project', 'add', dir2, '--name', 'q').status, 0);
    const clash = cli('session', 'start', 'q', 'main.orchest', '--wait', '--json');
    const failed = (JSON.parse(clash.stdout) as { session: { services: { reason: string | null; details?: { hint?: string } }[] } }).session.services[0]!;
    assert.match(failed.reason ?? '', new RegExp(`port ${servicePort} is already in use on this host`));
    assert.match(failed.details?.hint ?? '', /isolation: host, services listen on the host's real ports \(forced by BERTH_LOCAL_ISOLATION=host\)/);
  });

  test("the demo's job run succeeds while the demo session runs (the same ports 3000, 8080 and 9000 twice)", async (t) => {
    const { server, client } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-iso-demo-');
    await cp(join(new URL('..', import.meta.url).pathname, 'examples', 'demo'), dir, { recursive: true });
    await client.addProject(dir, 'demo');
    const { session } = await client.startSession('demo', 'demo.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 60_000);
    assert.equal(settled.status, 'running', JSON.stringify(settled.services.map((s) => [s.name, s.status, s.reason])));
    const record = server.projects.get('demo');
    const loaded = await loadPipelineFile(join(record.path, 'demo.orchest'));
    assert.ok(loaded.spec);
    const job = await server.jobs.createJob({ projectUuid: record.uuid, pipelinePath: 'demo.orchest', spec: loaded.spec, env: {} });
    const run = await server.jobs.waitRun((await server.jobs.startRun(job.uuid)).uuid, 120_000);
    const logs = await Promise.all(run.steps.map((s) => readFile(s.logFile, 'utf8').catch(() => '')));
    assert.equal(run.status, 'succeeded', `${JSON.stringify({ status: run.status, reason: run.reason, steps: run.steps.map((s) => [s.title, s.status, s.reason]) })}\n${logs.join('\n')}`);
    assert.equal((await server.sessions.waitSettled(session.uuid, 1_000)).status, 'running', 'the session ran on beside its job');
  });
});

describe('recovery of isolated sessions', skipUnless(namespaces), () => {
  test('a namespace holder whose session has no instance is removed at the restart when no session wants it', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-data-'));
    const stateDir = join(dataDir, 'runtime');
    // What a Berth killed before the next start leaves: a session's holder (steps ran in it, or a stop
    // cut short after its services were gone), no service instance, nothing in the store that wants it.
    const before = createLocalRuntime({ stateDir, graceMs: 500, isolation: 'namespace' });
    const sid = 'e'.repeat(36);
    t.after(async () => {
      await before.cleanupSession(sid); // only does something when the test failed
      await rm(dataDir, { recursive: true, force: true });
    });
    await before.prepareSession(sid, {});
    const holder = holderOf(stateDir, sid);
    assert.ok(existsAlive(holder.pid) && existsAlive(holder.nsPid), 'the holder runs');
    assert.deepEqual(await before.list({}), [], 'the session has no instance');

    const { server } = await startTestServer(t, { dataDir });
    assert.equal(server.sessions.find(sid), undefined);
    assert.deepEqual(
      { outer: existsAlive(holder.pid), inner: existsAlive(holder.nsPid), dir: existsSync(namespaceDir(stateDir, sid)), sessionDir: existsSync(join(stateDir, 'sessions', sid)) },
      { outer: false, inner: false, dir: false, sessionDir: false },
    );
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
