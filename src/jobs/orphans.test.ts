import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { killStepProcesses, stepProcesses, RUN_MARKER } from './orphans.ts';

test('processes a crashed run left behind are found by their run marker and killed', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const runUuid = randomUUID();
  const child = spawn('sleep', ['60'], { env: { ...process.env, [RUN_MARKER]: runUuid }, stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  assert.deepEqual(stepProcesses(runUuid), [child.pid]);
  assert.deepEqual(stepProcesses(randomUUID()), []);
  assert.equal(killStepProcesses(runUuid), 1);
  const [, signal] = await once(child, 'exit');
  assert.equal(signal, 'SIGKILL');
});
