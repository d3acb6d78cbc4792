/**
 * One Berth per data directory (docs/kubernetes.md, "One replica"): a second `berth serve` on the
 * same directory is refused by name before it opens the database; a clean stop frees the directory;
 * the lock of a Berth that died (SIGKILL) is taken over with a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './support/berth.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function env(): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', BERTH_LOG_LEVEL: 'warn' };
  for (const name of ['BERTH_URL', 'BERTH_TOKEN', 'BERTH_DATA_DIR', 'BERTH_PORT']) delete copy[name];
  return copy;
}

function serveArgs(dataDir: string): string[] {
  return ['bin/berth.mjs', 'serve', '--port', '0', '--host', '127.0.0.1', '--runtime', 'local', '--data-dir', dataDir, '--log-format', 'pretty'];
}

/** Starts `berth serve` and waits (bounded) for its banner; the process goes with the test. */
async function serve(t: { after(fn: () => unknown): void }, dataDir: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, serveArgs(dataDir), { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 900 && !/Ctrl-C stops the server/.test(output) && child.exitCode === null; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(output, /Berth is running at http:\/\/127\.0\.0\.1:\d+/, `berth serve did not start:\n${output}`);
  return { child, output: () => output };
}

test('a second `berth serve` on one data directory is refused by name; a stop frees it; a killed holder is taken over', { timeout: 180_000 }, async (t) => {
  const dataDir = await tempDir(t, 'berth-lock-e2e-');
  const first = await serve(t, dataDir);
  const holder = JSON.parse(readFileSync(join(dataDir, 'berth.lock'), 'utf8')) as { pid: number; host: string };
  assert.equal(holder.pid, first.child.pid);

  const second = spawnSync(process.execPath, serveArgs(dataDir), { cwd: ROOT, env: env(), encoding: 'utf8', timeout: 90_000 });
  assert.notEqual(second.status, 0, 'the second server must not start');
  assert.match(second.stderr, /BERTH_STORE_LOCKED/);
  assert.match(second.stderr, new RegExp(`another Berth uses this data directory: \\S+berth\\.lock is held by pid ${first.child.pid}`));
  assert.match(second.stderr, /stop the other `berth serve`, or give this one another --data-dir/);
  assert.doesNotMatch(second.stdout, /Berth is running/);

  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  assert.equal(existsSync(join(dataDir, 'berth.lock')), false, 'a clean stop removes the lock');

  const third = await serve(t, dataDir);
  assert.doesNotMatch(third.output(), /took over the lock/);
  third.child.kill('SIGKILL'); // a crash: the lock stays behind
  await once(third.child, 'exit');
  assert.equal(existsSync(join(dataDir, 'berth.lock')), true);

  const fourth = await serve(t, dataDir);
  assert.match(fourth.output(), new RegExp(`took over the lock \\S+berth\\.lock of an earlier Berth \\(pid ${third.child.pid} on ${holder.host}, started [^)]+\\): process ${third.child.pid} no longer runs`));
  fourth.child.kill('SIGTERM');
  await once(fourth.child, 'exit');
});
