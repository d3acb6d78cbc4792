import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRunningServer, removeServerInfo, serverInfoPath, writeServerInfo } from './server-info.ts';

function dataDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-server-info-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a live server is found, with mode 600 and no temp file left behind', (t) => {
  const dir = dataDir(t);
  const info = { url: 'http://127.0.0.1:40123', pid: process.pid, port: 40123, started: new Date().toISOString() };
  writeServerInfo(dir, info);
  assert.deepEqual(findRunningServer(dir), info);
  assert.equal(statSync(serverInfoPath(dir)).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['server.json']);
});

test('a file left by a process that is gone is ignored', (t) => {
  const dir = dataDir(t);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeServerInfo(dir, { url: 'http://127.0.0.1:40124', pid: Number(gone.stdout), port: 40124, started: new Date().toISOString() });
  assert.equal(findRunningServer(dir), undefined);
});

test('only the process that wrote the file removes it; a missing or broken file finds nothing', (t) => {
  const dir = dataDir(t);
  assert.equal(findRunningServer(dir), undefined);
  writeServerInfo(dir, { url: 'http://127.0.0.1:40125', pid: process.pid, port: 40125, started: new Date().toISOString() });
  removeServerInfo(dir, process.pid + 1);
  assert.ok(existsSync(serverInfoPath(dir)), 'another server’s file stays');
  removeServerInfo(dir);
  assert.equal(existsSync(serverInfoPath(dir)), false);
});
