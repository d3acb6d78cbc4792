import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCredentials } from '../sdk/credentials.ts';
import { resolveTarget } from './connect.ts';
import { writeServerInfo } from './server-info.ts';

/** A data dir whose server.json names this (live) process, and a config dir with no saved login. */
function setUp(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-connect-'));
  const saved = { ...process.env };
  t.after(() => {
    process.env = saved;
    rmSync(root, { recursive: true, force: true });
  });
  for (const name of ['BERTH_URL', 'BERTH_TOKEN', 'BERTH_DATA_DIR']) delete process.env[name];
  process.env.XDG_CONFIG_HOME = join(root, 'config');
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  writeServerInfo(dataDir, { url: 'http://127.0.0.1:41234', pid: process.pid, port: 41234, started: new Date().toISOString() });
  return dataDir;
}

test('with no --url, BERTH_URL or saved login, the server running on this machine is the target', (t) => {
  const dataDir = setUp(t);
  assert.equal(resolveTarget({ dataDir }).url, 'http://127.0.0.1:41234');
});

test('--url and BERTH_URL win over server.json', (t) => {
  const dataDir = setUp(t);
  assert.equal(resolveTarget({ dataDir, url: 'http://127.0.0.1:9999' }).url, 'http://127.0.0.1:9999');
  process.env.BERTH_URL = 'http://127.0.0.1:8888';
  assert.equal(resolveTarget({ dataDir }).url, 'http://127.0.0.1:8888');
});

test('a saved `berth login` stays the default over the local server', (t) => {
  const dataDir = setUp(t);
  saveCredentials('https://berth.example.com', 'x'.repeat(43));
  assert.equal(resolveTarget({ dataDir }).url, 'https://berth.example.com');
});

test('without server.json the default address remains', (t) => {
  setUp(t);
  assert.equal(resolveTarget({ dataDir: join(tmpdir(), 'berth-no-such-data-dir') }).url, 'http://127.0.0.1:8765');
});
