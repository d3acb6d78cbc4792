import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { commandRequirement, skipUnless } from '../../../test/support/requirements.ts';
import { freePort, isListening } from '../../../test/support/ports.ts';
import type { RuntimeError } from '../errors.ts';
import type { RuntimeRef } from '../types.ts';
import { eventually, localHarness, servicePlan } from './fixtures.ts';
import { launcher } from './launcher.ts';
import { groupMembers, readProcStat } from './procfs.ts';

const node = process.execPath;
const redis = commandRequirement('redis-server', 'apt-get install redis-server');
const redisCli = commandRequirement('redis-cli', 'apt-get install redis-tools');

function logOf(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('local runtime: starting', () => {
  test('runs [...command, ...args] as a process group and writes a start marker to the log', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'echo', command: [node], args: ['-e', 'console.log("hello from the service"); setInterval(() => {}, 1000)'] });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('echo') });
    assert.equal(ref.runtime, 'local');
    assert.equal(readProcStat(Number(ref.id))?.pgid, Number(ref.id), 'the service leads its own process group');
    const log = await eventually('the service output', () => logOf(h.logFile('echo')).includes('hello from the service') && logOf(h.logFile('echo')));
    assert.match(log, new RegExp(`^--- berth: echo started at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(pid ${ref.id}\\) ---\\n`));
    const state = await h.runtime.inspect(ref);
    assert.equal(state.state, 'running');
    assert.match(state.state === 'running' ? (state.startedAt ?? '') : '', /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(await h.runtime.endpoint(ref, 1234), { host: '127.0.0.1', port: 1234 });
    assert.equal(h.runtime.internalHostname(plan), '127.0.0.1');
  });

  test('the log is appended across restarts, each start with its own marker', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'twice', command: [node], args: ['-e', 'console.log("run")'] });
    for (let i = 0; i < 2; i++) {
      const ref = await h.runtime.start(plan, { logFile: h.logFile('twice') });
      await eventually('the run to end', async () => (await h.runtime.inspect(ref)).state === 'exited');
      await h.runtime.stop(ref);
    }
    const log = logOf(h.logFile('twice'));
    assert.equal(log.match(/^--- berth: twice started at .* ---$/gm)?.length, 2);
    assert.equal(log.match(/^run$/gm)?.length, 2);
  });

  test("a service's first output always follows its own start marker", async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'quick', command: ['sh'], args: ['-c', 'echo first'] });
    for (let i = 0; i < 10; i++) {
      const ref = await h.runtime.start(plan, { logFile: h.logFile('quick') });
      await eventually('the run to end', async () => (await h.runtime.inspect(ref)).state === 'exited');
      await h.runtime.stop(ref);
    }
    const lines = logOf(h.logFile('quick')).trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => (line.startsWith('--- berth: quick started at ') ? 'marker' : line)), Array.from({ length: 10 }, () => ['marker', 'first']).flat());
  });

  test("the wrapper does not run the user's ~/.bashrc or profile", async (t) => {
    const h = localHarness(t);
    const home = join(h.dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.bashrc'), 'echo "bashrc was sourced"\n');
    writeFileSync(join(home, '.profile'), 'echo "profile was sourced"\n');
    const plan = servicePlan({ name: 'rc', command: ['sh'], args: ['-c', 'echo service ran'], env: [{ name: 'HOME', value: home, source: 'service' }] });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('rc') });
    await eventually('the run to end', async () => (await h.runtime.inspect(ref)).state === 'exited');
    assert.deepEqual(logOf(h.logFile('rc')).split('\n').slice(1), ['service ran', '']);
  });

  test('environment@ services need a container runtime', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'env', image: 'orchest-env-p-e:1', environmentUuid: 'e1', command: ['sleep'], args: ['10'] });
    await assert.rejects(h.runtime.start(plan, { logFile: h.logFile('env') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_NEEDS_CONTAINERS');
      assert.match(error.message, /service env: image "environment@e1" needs a container runtime \(docker\)/);
      return true;
    });
  });

  test('an image without command or host default fails with what to set', async (t) => {
    const h = localHarness(t);
    await assert.rejects(h.runtime.start(servicePlan({ name: 'app', image: 'acme/app:2' }), { logFile: h.logFile('app') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_NO_COMMAND');
      assert.match(error.message, /cannot run image "acme\/app:2" on the host without a command \(services\.app\.command and services\.app\.args are empty\)/);
      assert.match(error.hint ?? '', /set services\.app\.command .* or use the docker runtime; images with a host default: redis/);
      return true;
    });
  });

  test('a missing executable fails at once and names it', async (t) => {
    const h = localHarness(t);
    await assert.rejects(h.runtime.start(servicePlan({ name: 'typo', command: ['redis-sevrer-berth-test'] }), { logFile: h.logFile('typo') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND');
      assert.equal(error.message, 'service typo: executable "redis-sevrer-berth-test" was not found on the host (PATH of the service)');
      return true;
    });
    assert.deepEqual(await h.runtime.list({}), [], 'nothing was started');
  });

  test('args without command: the hint explains that there is no image entrypoint on the host', async (t) => {
    const h = localHarness(t);
    await assert.rejects(h.runtime.start(servicePlan({ name: 'flags', image: 'acme/app', args: ['--verbose'] }), { logFile: h.logFile('flags') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND');
      assert.match(error.hint ?? '', /services\.flags\.args is set without services\.flags\.command, so "--verbose" would be the program/);
      return true;
    });
  });

  test('a command with a space (Orchest #1098: "mlflow server") suggests moving the rest to args', async (t) => {
    const h = localHarness(t);
    await assert.rejects(h.runtime.start(servicePlan({ name: 'mlflow', command: ['mlflow server'] }), { logFile: h.logFile('mlflow') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND');
      assert.match(error.message, /executable "mlflow server" was not found/);
      assert.equal(error.hint, 'services.mlflow.command is one executable, never split: set command to "mlflow" and put "server" in services.mlflow.args');
      return true;
    });
  });

  test('a declared port already in use fails at once and names the holder', async (t) => {
    const h = localHarness(t);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const plan = servicePlan({ name: 'web', ports: [port], command: [node], args: ['-e', 'setInterval(() => {}, 1000)'] });
    await assert.rejects(h.runtime.start(plan, { logFile: h.logFile('web') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_PORT_IN_USE');
      assert.match(error.message, new RegExp(`^service web: port ${port} is already in use on this host by pid ${process.pid} \\(.*node`));
      return true;
    });
  });
});

describe('local runtime: env, binds, umask', () => {
  test('env: a minimal host env, then the plan env in order (later wins, ORCHEST_* last); Berth secrets stay out', async (t) => {
    const h = localHarness(t);
    process.env.BERTH_TEST_SECRET_TOKEN = 'do-not-leak';
    t.after(() => delete process.env.BERTH_TEST_SECRET_TOKEN);
    const out = join(h.dir, 'env.json');
    const plan = servicePlan({
      name: 'env',
      command: [node],
      args: ['-e', `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`],
      env: [
        { name: 'GREETING', value: 'from the service', source: 'service' },
        { name: 'MY-VAR', value: 'dashes are allowed in Orchest', source: 'service' },
        { name: 'GREETING', value: 'inherited wins', source: 'inherited' },
        { name: 'ORCHEST_PROJECT_UUID', value: 'not me', source: 'service' },
        { name: 'ORCHEST_PROJECT_UUID', value: 'p-uuid', source: 'orchest' },
      ],
    });
    await h.runtime.start(plan, { logFile: h.logFile('env') });
    const env = await eventually('the env dump', () => existsSync(out) && JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>);
    assert.equal(env.GREETING, 'inherited wins');
    assert.equal(env['MY-VAR'], 'dashes are allowed in Orchest');
    assert.equal(env.ORCHEST_PROJECT_UUID, 'p-uuid');
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.BERTH_TEST_SECRET_TOKEN, undefined);
    assert.equal(env.BERTH_TEST, undefined, "Berth's own environment is not passed on");
  });

  test('bind targets in args and env resolve to the host dirs; relative paths work from the image workdir', async (t) => {
    const h = localHarness(t);
    const project = join(h.dir, 'my project');
    mkdirSync(project);
    writeFileSync(join(project, 'data.txt'), 'rows from the project dir');
    const script = [
      'const fs = require("fs");',
      'console.log("arg:", fs.readFileSync(process.argv[1], "utf8"));',
      'console.log("env:", fs.readFileSync(process.env.DATA_FILE, "utf8"));',
      'console.log("relative:", fs.readFileSync("src/data.txt", "utf8"));',
      'console.log("cwd:", process.cwd());',
    ].join('\n');
    const plan = servicePlan({
      name: 'streamlit',
      image: 'orchest/streamlit',
      command: [node],
      args: ['-e', script, '/project-dir/data.txt'],
      env: [{ name: 'DATA_FILE', value: '/usr/src/app/src/data.txt', source: 'service' }],
      mounts: [
        { source: 'project', hostPath: project, target: '/project-dir' },
        { source: 'project', hostPath: project, target: '/usr/src/app/src' },
      ],
    });
    await h.runtime.start(plan, { logFile: h.logFile('streamlit') });
    const log = await eventually('the script output', () => logOf(h.logFile('streamlit')).includes('cwd:') && logOf(h.logFile('streamlit')));
    assert.match(log, /^arg: rows from the project dir$/m);
    assert.match(log, /^env: rows from the project dir$/m);
    assert.match(log, /^relative: rows from the project dir$/m);
    assert.match(log, new RegExp(`^cwd: ${h.stateDir}/sessions/${plan.sessionUuid}/streamlit/work/usr/src/app$`, 'm'));
  });

  test('files the service writes are group-writable (umask 002)', async (t) => {
    const h = localHarness(t);
    const project = join(h.dir, 'project');
    mkdirSync(project);
    const plan = servicePlan({
      name: 'writer',
      command: [node],
      args: ['-e', 'require("fs").writeFileSync("/project-dir/out.txt", "x")'],
      mounts: [{ source: 'project', hostPath: project, target: '/project-dir' }],
    });
    await h.runtime.start(plan, { logFile: h.logFile('writer') });
    const file = join(project, 'out.txt');
    await eventually('the written file', () => existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o664);
  });
});

describe('local runtime: stopping', () => {
  test('stop ends the whole group, grandchildren included, and removes scratch dir and state', async (t) => {
    const h = localHarness(t);
    const script = 'const c = require("child_process").spawn("sleep", ["300"], { stdio: "ignore" }); console.log("grandchild", c.pid); setInterval(() => {}, 1000)';
    const plan = servicePlan({ name: 'tree', command: [node], args: ['-e', script] });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('tree') });
    const grandchild = Number(await eventually('the grandchild pid', () => /^grandchild (\d+)$/m.exec(logOf(h.logFile('tree')))?.[1]));
    assert.equal(readProcStat(grandchild)?.pgid, Number(ref.id), 'the grandchild is in the service group');
    const scratch = join(h.stateDir, 'sessions', plan.sessionUuid, 'tree', 'work');
    assert.ok(existsSync(scratch));
    await h.runtime.stop(ref);
    assert.deepEqual(groupMembers(Number(ref.id)), []);
    const left = readProcStat(grandchild);
    assert.ok(left === undefined || left.state === 'Z', `grandchild ${grandchild} still runs (state ${left?.state})`);
    assert.equal(existsSync(scratch), false);
    assert.deepEqual(await h.runtime.inspect(ref), { state: 'missing' });
    assert.deepEqual(await h.runtime.list({}), []);
    await h.runtime.stop(ref); // idempotent
  });

  test('a service that ignores SIGTERM is SIGKILLed after the grace period', async (t) => {
    const h = localHarness(t);
    const script = 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("handler installed"); setInterval(() => {}, 1000)';
    const ref = await h.runtime.start(servicePlan({ name: 'stubborn', command: [node], args: ['-e', script] }), { logFile: h.logFile('stubborn') });
    await eventually('the SIGTERM handler', () => logOf(h.logFile('stubborn')).includes('handler installed'));
    await h.runtime.stop(ref, { graceMs: 300 });
    assert.deepEqual(groupMembers(Number(ref.id)), []);
    assert.match(logOf(h.logFile('stubborn')), /^ignoring SIGTERM$/m, 'it got SIGTERM first');
  });

  test('an exited service reports its exit code until stopped', async (t) => {
    const h = localHarness(t);
    const ref = await h.runtime.start(servicePlan({ name: 'fail', command: [node], args: ['-e', 'process.exit(3)'] }), { logFile: h.logFile('fail') });
    const state = await eventually('the exit', async () => {
      const s = await h.runtime.inspect(ref);
      return s.state === 'exited' && s;
    });
    assert.deepEqual(state, { state: 'exited', exitCode: 3, signal: null });
    const [listed] = await h.runtime.list({ 'berth.service': 'fail' });
    assert.deepEqual(listed?.state, state);
  });

  test('a service killed from outside reports the signal', async (t) => {
    const h = localHarness(t);
    const ref = await h.runtime.start(servicePlan({ name: 'victim', command: [node], args: ['-e', 'setInterval(() => {}, 1000)'] }), { logFile: h.logFile('victim') });
    const told: RuntimeRef[] = [];
    t.after(h.runtime.exits!.listen((exited) => told.push(exited)));
    assert.equal(h.runtime.exits!.tells(ref), true, 'its launcher will tell the exit');
    process.kill(Number(ref.id), 'SIGKILL');
    await eventually('the exit to be told', () => told.length > 0);
    assert.deepEqual(told, [ref]);
    assert.equal(h.runtime.exits!.tells(ref), false, 'exited: nothing more to tell');
    const state = await h.runtime.inspect(ref);
    assert.deepEqual(state, { state: 'exited', exitCode: null, signal: 'SIGKILL', reason: 'killed by SIGKILL' });
  });

  test('an exit the launcher can no longer tell (it died) is seen in /proc', async (t) => {
    const h = localHarness(t);
    const ref = await h.runtime.start(servicePlan({ name: 'orphan', command: [node], args: ['-e', 'console.log("up"); setInterval(() => {}, 1000)'] }), { logFile: h.logFile('orphan') });
    // Released by the launcher and running (a launcher killed before it released the service ends its wrapper).
    await eventually('the service to run', () => logOf(h.logFile('orphan')).includes('\nup\n'));
    const launcherPid = readProcStat(Number(ref.id))!.ppid;
    launcher.stop();
    await eventually('the launcher to exit', async () => readProcStat(launcherPid) === undefined);
    assert.equal((await h.runtime.inspect(ref)).state, 'running', 'the service outlives its launcher');
    await eventually('the runtime to know its exit will not be told', () => h.runtime.exits!.tells(ref) === false);
    process.kill(Number(ref.id), 'SIGKILL');
    const state = await eventually('the exit', async () => {
      const s = await h.runtime.inspect(ref);
      return s.state === 'exited' && s;
    });
    assert.equal(state.state, 'exited');
  });

  test('starting a service whose previous instance still runs is refused', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'once', command: [node], args: ['-e', 'setInterval(() => {}, 1000)'] });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('once') });
    await assert.rejects(h.runtime.start(plan, { logFile: h.logFile('once') }), (error: RuntimeError) => {
      assert.equal(error.code, 'BERTH_RUNTIME_ALREADY_RUNNING');
      assert.equal(error.message, `service once of session ${plan.sessionUuid} is already running (process group ${ref.id})`);
      return true;
    });
  });

  test('cleanupSession removes the session dirs', async (t) => {
    const h = localHarness(t);
    await h.runtime.prepareSession('s1', {});
    assert.ok(existsSync(join(h.stateDir, 'sessions', 's1')));
    await h.runtime.cleanupSession('s1');
    assert.equal(existsSync(join(h.stateDir, 'sessions', 's1')), false);
    assert.equal(existsSync(join(h.stateDir, 'instances', 's1')), false);
    await h.runtime.cleanupSession('s1');
  });

  test('cleanupSession stops what still runs of the session: once its state file is gone nothing could', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'left', command: [node], args: ['-e', 'setInterval(() => {}, 1000)'] });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('left') });
    await h.runtime.cleanupSession(plan.sessionUuid);
    assert.equal(readProcStat(Number(ref.id)), undefined, 'the process group is gone');
    assert.deepEqual(await h.runtime.list({}), []);
  });
});

describe('local runtime: redis from the host defaults table', skipUnless(redis, redisCli), () => {
  test('image "redis" without command runs redis-server on the declared port; exec reaches it', async (t) => {
    const h = localHarness(t);
    const port = await freePort();
    const ref = await h.runtime.start(servicePlan({ name: 'redis', image: 'docker.io/library/redis:7', ports: [port] }), { logFile: h.logFile('redis') });
    await eventually('redis to listen', () => isListening(port));
    const result = await h.runtime.exec(ref, ['redis-cli', '-p', String(port), 'ping']);
    assert.deepEqual(result, { exitCode: 0, output: 'PONG\n' });
    const saved = await h.runtime.exec(ref, ['redis-cli', '-p', String(port), 'config', 'get', 'save']);
    assert.equal(saved.output, 'save\n\n', 'no persistence: the session owns no state');
    await h.runtime.stop(ref);
    assert.equal(await isListening(port), false);
    assert.deepEqual(readdirSync(join(h.stateDir, 'sessions', ref.sessionUuid)), []);
  });
});
