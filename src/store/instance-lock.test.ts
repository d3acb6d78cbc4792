import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireInstanceLock, LOCK_FILE } from './instance-lock.ts';

function dataDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The pid of a process that has ended: a lock left by a Berth that crashed. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(done.stdout);
}

describe('instance lock', () => {
  it('writes pid, host and start time, refuses a second holder by name, and is free again once released', (t) => {
    const dir = dataDir(t);
    const first = acquireInstanceLock(dir);
    t.after(() => first.release());
    const written = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string; started: string };
    assert.equal(written.pid, process.pid);
    assert.equal(written.host, hostname());
    assert.ok(!Number.isNaN(Date.parse(written.started)));

    // Another process on this host, as a second `berth serve` would be.
    assert.throws(() => acquireInstanceLock(dir, { pid: process.pid + 100_000 }), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'BERTH_STORE_LOCKED');
      assert.match(error.message, new RegExp(`^another Berth uses this data directory: .*berth\\.lock is held by pid ${process.pid} on ${hostname()}`));
      assert.match(error.hint ?? '', /stop the other `berth serve`, or give this one another --data-dir/);
      assert.match(error.hint ?? '', /replicas: 1 and strategy Recreate/);
      return true;
    });
    first.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    acquireInstanceLock(dir).release();
  });

  it('takes over a lock whose pid is dead on this host, with a warning', (t) => {
    const dir = dataDir(t);
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const lock = acquireInstanceLock(dir);
    t.after(() => lock.release());
    assert.match(lock.warning ?? '', new RegExp(`^took over the lock .*berth\\.lock of an earlier Berth \\(pid ${pid} on ${hostname()}, started 2026-01-01T00:00:00.000Z\\): process ${pid} no longer runs`));
    assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
  });

  it('takes over its own pid on this host (a restarted container is pid 1 again)', (t) => {
    const dir = dataDir(t);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const lock = acquireInstanceLock(dir);
    t.after(() => lock.release());
    assert.match(lock.warning ?? '', /a restarted container/);
  });

  it('from another host (a replaced pod): refused while its heartbeat is fresh, taken over once it stopped', (t) => {
    const dir = dataDir(t);
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: 1, host: 'berth-7d9f-old', started: '2026-01-01T00:00:00.000Z' }));
    assert.throws(() => acquireInstanceLock(dir, { staleAfterMs: 60_000 }), { code: 'BERTH_STORE_LOCKED', message: /held by pid 1 on berth-7d9f-old/ });
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    const lock = acquireInstanceLock(dir, { staleAfterMs: 60_000 });
    t.after(() => lock.release());
    assert.match(lock.warning ?? '', /pid 1 on berth-7d9f-old.*its heartbeat stopped 1\d\d s ago/);
  });

  it('keeps its file fresh while held, so a Berth on another host does not take it over', async (t) => {
    const dir = dataDir(t);
    const file = join(dir, LOCK_FILE);
    const lock = acquireInstanceLock(dir, { heartbeatMs: 20 });
    t.after(() => lock.release());
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    // Waits for a heartbeat (bounded), not for a time.
    for (let i = 0; i < 250 && statSync(file).mtimeMs < Date.now() - 60_000; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.throws(() => acquireInstanceLock(dir, { host: 'other-node', staleAfterMs: 60_000 }), { code: 'BERTH_STORE_LOCKED' });
  });

  it('does not remove a lock another holder took after a takeover', (t) => {
    const dir = dataDir(t);
    const file = join(dir, LOCK_FILE);
    const lock = acquireInstanceLock(dir);
    const theirs = JSON.stringify({ pid: 1, host: 'other-node', started: '2026-01-01T00:00:00.000Z' });
    writeFileSync(file, theirs);
    lock.release();
    assert.equal(readFileSync(file, 'utf8'), theirs);
    t.after(() => rmSync(file, { force: true }));
  });
});
