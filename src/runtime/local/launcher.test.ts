import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcher } from './launcher.ts';
import { readProcStat } from './procfs.ts';

const alive = (pid: number) => ![undefined, 'Z'].includes(readProcStat(pid)?.state);

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
  }
}

test('the launcher forks services, not this process: each leads its own group, runs once released, and its exit is told', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-launcher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'out.log');
  // As the umask wrapper does: wait for the release line on stdin, then run.
  const waitThenExit = (code: number) => ({ file: '/bin/sh', args: ['-c', `read line && echo "released $$" && exit ${code}`], cwd: dir, env: { PATH: '/usr/bin:/bin' }, logFile });

  const released = await launcher.launch(waitThenExit(3));
  const stat = readProcStat(released.pid);
  assert.notEqual(stat?.ppid, process.pid, 'the parent is the launcher');
  assert.equal(stat?.pgid, released.pid, 'detached: it leads its own process group');
  released.ref(); // as a stop waiting for the exit does: the launcher is unref'd otherwise
  released.release();
  assert.deepEqual({ ...(await released.exited), at: 'x' }, { exitCode: 3, signal: null, at: 'x' });
  released.unref();
  assert.equal(readFileSync(logFile, 'utf8'), `released ${released.pid}\n`, 'stdout appends to the log file');

  const aborted = await launcher.launch(waitThenExit(0));
  aborted.ref();
  aborted.abort();
  assert.equal((await aborted.exited)?.exitCode, 1, 'EOF without the line: the wrapper exits without running');
  aborted.unref();
  assert.equal(readFileSync(logFile, 'utf8').split('\n').filter(Boolean).length, 1, 'nothing ran');

  await assert.rejects(launcher.launch({ ...waitThenExit(0), file: join(dir, 'missing') }), { code: 'ENOENT' });

  // Its exit is told right after its pid, before launch() resumes: it must not be lost.
  const atOnce = await launcher.launch({ ...waitThenExit(0), args: ['-c', 'exit 7'] });
  atOnce.ref();
  assert.equal((await atOnce.exited)?.exitCode, 7);
  atOnce.unref();
});

test("the launcher ends with its Berth process; the services it started run on", async (t) => {
  const script = `
    import { launcher } from ${JSON.stringify(new URL('./launcher.ts', import.meta.url).href)};
    const child = await launcher.launch({ file: '/bin/sh', args: ['-c', 'read line; exec sleep 60'], cwd: '/', env: { PATH: '/usr/bin:/bin' }, logFile: '/dev/null' });
    child.release();
    console.log(JSON.stringify({ service: child.pid }));
    setInterval(() => undefined, 1000);`;
  const berth = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  berth.stdout.on('data', (chunk) => (output += chunk));
  await until('the service pid', () => output.includes('\n'), 20_000);
  const service = (JSON.parse(output) as { service: number }).service;
  t.after(() => {
    try {
      process.kill(-service, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const launcherPid = readProcStat(service)!.ppid;
  assert.equal(readProcStat(launcherPid)?.ppid, berth.pid, "the service's parent is the launcher, the Berth process's child");
  berth.kill('SIGKILL');
  await until('the launcher to exit', () => !alive(launcherPid));
  assert.ok(alive(service), 'the detached service outlives the launcher and its Berth process');
});
