/**
 * The CLI finds its server: `berth serve` on a random port records where it listens in
 * `<data-dir>/server.json`, and the banner's `berth session status`, run exactly as printed (no
 * --url, no BERTH_URL), reaches it, and so does `berth login-link`. A clean stop removes the file.
 * The server's log lines are the readable kind with --log-format pretty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './support/berth.ts';

const ROOT = new URL('..', import.meta.url).pathname;

test('berth serve on a random port is found by `berth session status` with no --url and no BERTH_URL', { timeout: 90_000 }, async (t) => {
  // A fresh HOME: ~/.berth is the default data dir, so the banner prints its commands without --data-dir.
  const home = await tempDir(t, 'berth-discovery-');
  const dataDir = join(home, '.berth');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', BERTH_PORT: '0' };
  for (const name of ['BERTH_URL', 'BERTH_TOKEN', 'BERTH_DATA_DIR', 'XDG_CONFIG_HOME']) delete env[name];
  // Readable log lines as on a terminal (forced: the pipe is not one), at info so there is one to read.
  const server = spawn(process.execPath, ['bin/berth.mjs', 'serve', '--demo', '--runtime', 'local', '--log-format', 'pretty'], {
    cwd: ROOT,
    env: { ...env, BERTH_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 600 && !/Ctrl-C stops the server/.test(output) && server.exitCode === null; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  const url = /Berth is running at (\S+)/.exec(output)?.[1];
  assert.ok(url, `berth serve did not print its URL:\n${output}`);
  assert.notEqual(new URL(url).port, '8765', 'BERTH_PORT=0 picked a free port');
  assert.match(output, new RegExp(`^\\d\\d:\\d\\d:\\d\\d INFO {2}Berth is serving url=${url.replace(/[.]/g, '\\.')} `, 'm'), output);
  assert.doesNotMatch(output, /^\{"level"/m, 'no JSON log lines with --log-format pretty');

  const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string; pid: number; port: number; started: string };
  assert.equal(info.url, url);
  assert.equal(info.pid, server.pid);
  assert.equal(String(info.port), new URL(url).port);
  assert.ok(!Number.isNaN(Date.parse(info.started)));

  const printed = /npx berth (session status)(?=\s)/.exec(output);
  assert.ok(printed, `the banner shows a status command:\n${output}`);
  const args = (printed[1] as string).split(' ');
  const status = spawnSync(process.execPath, ['bin/berth.mjs', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(status.status, 0, `\`npx berth ${args.join(' ')}\` failed:\n${status.stdout}${status.stderr}`);
  assert.match(status.stdout, /runtime: .*local host processes/);
  assert.match(status.stdout, /no active sessions/);

  // The sign-in page's hint, run on the server machine: a fresh link to this server that signs in.
  const made = spawnSync(process.execPath, ['bin/berth.mjs', 'login-link'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(made.status, 0, made.stdout + made.stderr);
  const link = /^(http\S+\/login\?token=\S+)$/m.exec(made.stdout)?.[1];
  assert.ok(link?.startsWith(`${url}/login?token=`), made.stdout);
  const signedIn = await fetch(link as string, { redirect: 'manual' });
  assert.equal(signedIn.status, 303);
  assert.match(signedIn.headers.get('set-cookie') ?? '', /^berth_session=/);

  server.kill('SIGTERM');
  await once(server, 'exit');
  assert.equal(existsSync(join(dataDir, 'server.json')), false, 'a clean stop removes server.json');
  const after = spawnSync(process.execPath, ['bin/berth.mjs', 'session', 'status'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(after.status, 0);
  assert.match(after.stderr, /BERTH_CLIENT_UNREACHABLE.*127\.0\.0\.1:8765/, 'with the server gone the CLI falls back to the default address');
});
