import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsPath, resolveCredentials, saveCredentials } from './credentials.ts';

const VARS = ['HOME', 'XDG_CONFIG_HOME', 'BERTH_URL', 'BERTH_TOKEN', 'BERTH_DATA_DIR'] as const;

/** A temp HOME and XDG_CONFIG_HOME, with the BERTH_* variables cleared; all restored afterwards. */
function sandbox(t: { after: (fn: () => void) => void }): { home: string; config: string; dataDir: string } {
  const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
  const home = mkdtempSync(join(tmpdir(), 'berth-cred-'));
  t.after(() => {
    for (const name of VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(home, { recursive: true, force: true });
  });
  for (const name of VARS) delete process.env[name];
  process.env.HOME = home;
  const config = join(home, 'xdg');
  process.env.XDG_CONFIG_HOME = config;
  const dataDir = join(home, '.berth');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'cli-token'), 'local-cli-token\n', { mode: 0o600 });
  return { home, config, dataDir };
}

// process.env is shared: these tests run one after another.
describe('resolveCredentials', { concurrency: false }, () => {
  test('falls back to the local cli-token for the default loopback URL', (t) => {
    const { dataDir } = sandbox(t);
    assert.deepEqual(resolveCredentials(), { url: 'http://127.0.0.1:8765', token: 'local-cli-token', source: join(dataDir, 'cli-token') });
    assert.equal(resolveCredentials({ url: 'http://localhost:9000/' }).token, 'local-cli-token');
  });

  test('never sends the local cli-token to a remote URL', (t) => {
    sandbox(t);
    assert.deepEqual(resolveCredentials({ url: 'https://berth.example.com' }), { url: 'https://berth.example.com', source: 'none' });
  });

  test('honours --data-dir and BERTH_DATA_DIR for the cli-token', (t) => {
    const { home } = sandbox(t);
    const other = join(home, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'cli-token'), 'other-token\n', { mode: 0o600 });
    assert.equal(resolveCredentials({ dataDir: other }).token, 'other-token');
    process.env.BERTH_DATA_DIR = other;
    assert.equal(resolveCredentials().token, 'other-token');
  });

  test('saved credentials beat the cli-token; the file sits under XDG_CONFIG_HOME with mode 0600', (t) => {
    const { config } = sandbox(t);
    const path = saveCredentials('http://127.0.0.1:8765/', 'saved-token');
    assert.equal(path, join(config, 'berth', 'credentials.json'));
    assert.equal(credentialsPath(), path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(resolveCredentials(), { url: 'http://127.0.0.1:8765', token: 'saved-token', source: path });
  });

  test('the saved token is used for its own URL only; the last login is the default', (t) => {
    sandbox(t);
    saveCredentials('https://a.example.com', 'token-a');
    saveCredentials('https://b.example.com', 'token-b');
    assert.equal(resolveCredentials().url, 'https://b.example.com');
    assert.equal(resolveCredentials().token, 'token-b');
    assert.equal(resolveCredentials({ url: 'https://a.example.com/' }).token, 'token-a');
    assert.equal(resolveCredentials({ url: 'https://c.example.com' }).token, undefined);
    saveCredentials('https://a.example.com', 'token-a2');
    const saved = JSON.parse(readFileSync(credentialsPath(), 'utf8'));
    assert.equal(saved.servers.length, 2, 'logging in again replaces the entry');
    assert.equal(resolveCredentials().token, 'token-a2');
  });

  test('BERTH_URL and BERTH_TOKEN come first, unless --url names another server', (t) => {
    sandbox(t);
    saveCredentials('http://127.0.0.1:8765', 'saved-token');
    process.env.BERTH_URL = 'http://10.0.0.5:8765';
    process.env.BERTH_TOKEN = 'env-token';
    assert.deepEqual(resolveCredentials(), { url: 'http://10.0.0.5:8765', token: 'env-token', source: 'BERTH_URL and BERTH_TOKEN' });
    assert.equal(resolveCredentials({ url: 'http://10.0.0.5:8765/' }).token, 'env-token');
    assert.deepEqual(resolveCredentials({ url: 'http://127.0.0.1:8765' }).token, 'saved-token');
  });

  test('BERTH_URL alone picks the server; tokens still come from the file or cli-token', (t) => {
    sandbox(t);
    process.env.BERTH_URL = 'http://127.0.0.1:9999';
    assert.equal(resolveCredentials().url, 'http://127.0.0.1:9999');
    assert.equal(resolveCredentials().token, 'local-cli-token');
  });

  test('refuses a credentials file that others can read, and says how to fix it', (t) => {
    sandbox(t);
    const path = saveCredentials('http://127.0.0.1:8765', 'saved-token');
    chmodSync(path, 0o644);
    assert.throws(() => resolveCredentials(), {
      code: 'BERTH_CLIENT_CREDENTIALS',
      message: `${path} is readable by other users (mode 644), so its tokens may have leaked`,
    });
  });

  test('a bad --url is reported as such', (t) => {
    sandbox(t);
    assert.throws(() => resolveCredentials({ url: 'localhost:8765' }), { code: 'BERTH_CLIENT_URL_INVALID' });
  });
});
