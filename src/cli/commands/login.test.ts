import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { openDatabase } from '../../store/index.ts';
import { authMigrations, createAuth } from '../../server/auth/index.ts';

const BERTH = fileURLToPath(new URL('../../../bin/berth.mjs', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `berth` executable with its own HOME and config dir (async: the server is in this process). */
function berth(home: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), BERTH_DATA_DIR: join(home, 'no-local-server'), NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

test('berth login saves a token; berth user then manages users with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-login-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'berth.db'), [authMigrations]);
  t.after(() => db.close());
  const auth = createAuth({ db, dataDir: dir });
  const { loginToken } = auth.bootstrap();
  const app = Fastify();
  auth.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const cliToken = readFileSync(join(dir, 'cli-token'), 'utf8').trim();
  const created = await app.inject({
    method: 'POST',
    url: '/api/users',
    headers: { authorization: `Bearer ${cliToken}` },
    payload: { username: 'ada', password: 'correct horse battery' },
  });
  assert.equal(created.statusCode, 201);
  const home = join(dir, 'home');

  const denied = await berth(home, ['user', 'list', '--url', url]);
  assert.equal(denied.code, 3);
  assert.match(denied.stderr, /\[BERTH_AUTH_REQUIRED\] this request needs a signed-in user or an API token/);

  const wrong = await berth(home, ['login', url, '--username', 'ada', '--password-stdin'], 'not the password\n');
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /\[BERTH_AUTH_LOGIN_FAILED\] wrong username or password/);

  const login = await berth(home, ['login', `${url}/`, '--username', 'ada', '--password-stdin', '--name', 'test laptop'], 'correct horse battery\n');
  assert.equal(login.code, 0, login.stderr);
  const credentials = join(home, 'xdg', 'berth', 'credentials.json');
  assert.equal(login.stdout, `signed in to ${url} as ada\n  saved API token "test laptop" in ${credentials}\n`);
  assert.equal(statSync(credentials).mode & 0o777, 0o600);
  const saved = JSON.parse(readFileSync(credentials, 'utf8'));
  assert.equal(saved.current, url);

  const added = await berth(home, ['user', 'add', 'bob', '--password-stdin'], 'bobs long password\n');
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, `added user bob; they sign in at ${url}/login\n`);
  const short = await berth(home, ['user', 'add', 'eve', '--password-stdin'], 'short\n');
  assert.equal(short.code, 3);
  assert.match(short.stderr, /passwords need at least 12/);
  const list = await berth(home, ['user', 'list', '--json']);
  assert.deepEqual(JSON.parse(list.stdout).users.map((u: { username: string }) => u.username), ['ada', 'bob']);
  const passwd = await berth(home, ['user', 'passwd', 'bob', '--password-stdin'], 'another long password\n');
  assert.equal(passwd.stdout, 'changed the password of bob\n');
  const relogin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bob', password: 'another long password' } });
  assert.equal(relogin.statusCode, 200);
  const removed = await berth(home, ['user', 'remove', 'bob']);
  assert.equal(removed.stdout, 'removed user bob\n');

  const tokenHome = join(dir, 'home2');
  const byToken = await berth(tokenHome, ['login', url, '--token', loginToken as string, '--name', 'ci', '--json']);
  assert.equal(byToken.code, 0, byToken.stderr);
  assert.deepEqual(JSON.parse(byToken.stdout).user, { kind: 'token', name: 'ci', username: null, scope: 'admin' });
});
