/**
 * After Berth stops mid-run, the next start marks the run failed, kills the step processes it left
 * (found by BERTH_RUN_UUID) and settles the step records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { RUN_MARKER, stepProcesses } from '../src/jobs/index.ts';
import { startJobsServer } from './jobs-support.ts';

test('recover: an interrupted run is failed with the reason, its leftover step processes killed', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const { jobs, server, dataDir } = await startJobsServer(t);
  const project = server.store.addProject({ name: 'gone', path: dataDir });
  const runUuid = randomUUID();
  const step = (uuid: string, title: string, position: number, status: 'running' | 'pending') => ({
    stepUuid: uuid,
    title,
    filePath: `${title}.py`,
    position,
    status,
    reason: null,
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    logFile: join(dataDir, `${uuid}.log`),
  });
  jobs.store.addRun(
    {
      uuid: runUuid,
      jobUuid: null,
      type: 'interactive',
      projectUuid: project.uuid,
      pipelineUuid: randomUUID(),
      pipelinePath: 'x.orchest',
      sessionUuid: randomUUID(),
      status: 'running',
      runDir: join(dataDir, 'jobs', 'interactive', runUuid),
    },
    [step('s1', 'Busy', 0, 'running'), step('s2', 'Later', 1, 'pending')],
  );
  const leftover = spawn('sleep', ['60'], { env: { ...process.env, [RUN_MARKER]: runUuid }, stdio: 'ignore' });
  t.after(() => leftover.kill('SIGKILL'));
  await once(leftover, 'spawn');

  // Listening before recover kills it: the exit may be emitted while recover still awaits its cleanup.
  const exited = once(leftover, 'exit');
  assert.equal(await jobs.recover(), 1);
  await exited;
  assert.deepEqual(stepProcesses(runUuid), []);
  const run = jobs.getRun(runUuid);
  assert.equal(run.status, 'failed');
  assert.equal(run.reason, 'interrupted: Berth stopped while the run was in progress');
  assert.deepEqual(run.steps.map((s) => [s.title, s.status]), [['Busy', 'cancelled'], ['Later', 'skipped']]);
  assert.equal(await jobs.recover(), 0, 'recover is idempotent');
});
