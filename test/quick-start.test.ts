/**
 * The README's Quick start, for real: `npm start` serves Berth with the demo project on the
 * embedded default (host processes, even when a container engine answers on this machine), and
 * the commands the README shows next start the demo session with every service ready, then stop it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { tempDir } from './support/berth.ts';
import { pidsWithEnv } from './support/processes.ts';
import { ensureUiBuilt } from './support/browser.ts';

const ROOT = new URL('..', import.meta.url).pathname;

test('npm start serves the demo on host processes; the README\'s session commands run it', { timeout: 120_000 }, async (t) => {
  ensureUiBuilt();
  const dataDir = await tempDir(t, 'berth-quick-start-');
  const env = { ...process.env, BERTH_DATA_DIR: dataDir, NO_COLOR: '1' };
  // `npm start -- ARGS` appends to `berth serve`: a free port instead of 8765, nothing else changed.
  const server = spawn('npm', ['start', '--', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.after(async () => {
    if (server.exitCode === null) {
      process.kill(-server.pid!, 'SIGTERM');
      await once(server, 'exit');
    }
  });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 300 && !/Berth is running at (\S+)/.test(output); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  const url = /Berth is running at (\S+)/.exec(output)?.[1];
  assert.ok(url, `npm start did not print its URL:\n${output}`);
  assert.match(output, /runtime: {3}local host processes\n/, 'the embedded default, whatever engines this machine has');
  assert.match(output, /open {7}http:\/\/\S+\/login\?token=/, 'the URL to open, with the first-start login');

  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/berth.mjs', ...args], { cwd: ROOT, env: { ...env, BERTH_URL: url }, encoding: 'utf8', timeout: 60_000 });
  const started = cli(['session', 'start', 'demo', 'demo.orchest', '--wait']);
  assert.equal(started.status, 0, started.stdout + started.stderr);
  for (const service of ['web', 'hello-api', 'worker']) assert.match(started.stdout, new RegExp(`${service} +ready`));
  const sessionUuid = /session (\S+) running/.exec(started.stdout)?.[1];
  assert.ok(sessionUuid);
  const status = cli(['session', 'status', '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /"status": "running"/);
  const stopped = cli(['session', 'stop']);
  assert.equal(stopped.status, 0, stopped.stdout + stopped.stderr);
  assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', sessionUuid), [], 'no service process outlives the session');
});
