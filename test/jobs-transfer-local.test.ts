/**
 * Data passing and the step environment on the local runtime, end to end with Debian's python3:
 * a job run and an interactive run of the pipeline in transfer-support.ts. Job runs keep outputs in
 * the run's directory and evict them once read; interactive runs keep them in the session's
 * directory (a step run alone reads an earlier run's outputs) until the session stops.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './support/berth.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { startJobsServer, writeProject } from './jobs-support.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import {
  assertEvicted,
  assertInputs,
  assertStepEnv,
  createTransferJob,
  readCollected,
  runLogs,
  setTransferEnvVars,
  TRANSFER_PIPELINE,
  transferFixture,
} from './transfer-support.ts';

const python = commandRequirement('python3', 'apt-get install python3');

describe('orchest.transfer and the step environment on the local runtime', skipUnless(python), () => {
  test('a job run passes named and unnamed outputs in incoming_connections order, with every ORCHEST_* variable and project < pipeline < job env vars', async (t) => {
    const { server, client, jobs, dataDir } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-transfer-job-');
    const { pipelineUuid, stepUuids } = await writeProject(transferFixture(dir));
    await client.addProject(dir, 'transfer');
    const project = server.projects.get('transfer');
    setTransferEnvVars(server, project.uuid, pipelineUuid);

    const run = await jobs.waitRun((await jobs.startRun(await createTransferJob(server, 'transfer'))).uuid, 120_000);
    assert.equal(run.status, 'succeeded', await runLogs(run));
    const copy = join(run.runDir, 'project');
    const collected = await readCollected(copy);
    assertInputs(collected);
    assertStepEnv(collected.env, {
      run,
      stepUuid: stepUuids.Collect!,
      pipelineUuid,
      cluster: server.store.installationId(),
      sessionType: 'noninteractive',
      paths: { projectDir: copy, pipelineFile: join(copy, TRANSFER_PIPELINE), transferDir: join(run.runDir, 'transfer'), dataDir: join(dataDir, 'data') },
      user: { USER_PROJECT_ONLY: 'project', USER_PIPELINE_WINS: 'pipeline', USER_JOB_WINS: 'job' },
    });
    assertEvicted(join(run.runDir, 'transfer'), [stepUuids.Named!, stepUuids.First!, stepUuids.Second!]);
    assert.equal(existsSync(join(dir, 'collected.json')), false, 'a job run writes into its copy, not the project');
  });

  test('an interactive run keeps outputs for the session (a step run alone reads them) and they go when the session stops', async (t) => {
    const { server, client, jobs, dataDir } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-transfer-live-');
    const { pipelineUuid, stepUuids } = await writeProject(transferFixture(dir));
    await client.addProject(dir, 'live');
    const project = server.projects.get('live');
    setTransferEnvVars(server, project.uuid, pipelineUuid);
    const loaded = await loadPipelineFile(join(dir, TRANSFER_PIPELINE));
    assert.ok(loaded.spec);
    const session = await server.sessions.start({
      projectUuid: project.uuid,
      pipelinePath: TRANSFER_PIPELINE,
      spec: loaded.spec,
      projectDir: project.path,
      type: 'interactive',
      userEnv: server.store.mergedEnvVars(project.uuid, pipelineUuid),
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');

    const run = await jobs.waitRun((await jobs.runPipelineSteps({ projectUuid: project.uuid, pipelinePath: TRANSFER_PIPELINE, spec: loaded.spec })).uuid, 120_000);
    assert.equal(run.status, 'succeeded', await runLogs(run));
    const transferDir = join(dataDir, 'jobs', 'sessions', session.uuid, 'transfer');
    const collected = await readCollected(dir);
    assertInputs(collected);
    assertStepEnv(collected.env, {
      run,
      stepUuid: stepUuids.Collect!,
      pipelineUuid,
      cluster: server.store.installationId(),
      sessionType: 'interactive',
      paths: { projectDir: dir, pipelineFile: join(dir, TRANSFER_PIPELINE), transferDir, dataDir: join(dataDir, 'data') },
      user: { USER_PROJECT_ONLY: 'project', USER_PIPELINE_WINS: 'pipeline', USER_JOB_WINS: 'pipeline' },
    });
    assert.ok(existsSync(join(transferDir, stepUuids.Named!, 'HEAD')), 'auto_eviction is off in this pipeline: interactive outputs stay');

    // Collect alone, in a second run of the session: the outputs of the first run are its inputs.
    const again = await jobs.waitRun((await jobs.runPipelineSteps({ projectUuid: project.uuid, pipelinePath: TRANSFER_PIPELINE, spec: loaded.spec, stepIds: ['Collect'] })).uuid, 60_000);
    assert.equal(again.status, 'succeeded', await runLogs(again));
    assertInputs(await readCollected(dir));

    await server.sessions.stop(session.uuid);
    const deadline = Date.now() + 10_000;
    while (existsSync(join(dataDir, 'jobs', 'sessions', session.uuid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(join(dataDir, 'jobs', 'sessions', session.uuid)), false, "the session's transfer directory is removed when it stops");
  });

  test('after a restart, transfer directories of sessions that are no longer active are removed; an active session keeps its own', async (t) => {
    const { server, client, jobs, dataDir } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-transfer-recover-');
    const { pipelineUuid } = await writeProject(transferFixture(dir));
    await client.addProject(dir, 'recover');
    const project = server.projects.get('recover');
    const loaded = await loadPipelineFile(join(dir, TRANSFER_PIPELINE));
    assert.ok(loaded.spec);
    const session = await server.sessions.start({
      projectUuid: project.uuid,
      pipelinePath: TRANSFER_PIPELINE,
      spec: loaded.spec,
      projectDir: project.path,
      type: 'interactive',
      userEnv: server.store.mergedEnvVars(project.uuid, pipelineUuid),
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');
    const sessions = join(dataDir, 'jobs', 'sessions');
    await mkdir(join(sessions, session.uuid, 'transfer'), { recursive: true });
    await mkdir(join(sessions, 'stopped-while-berth-was-down', 'transfer'), { recursive: true });
    await jobs.recover();
    assert.equal(existsSync(join(sessions, 'stopped-while-berth-was-down')), false);
    assert.ok(existsSync(join(sessions, session.uuid, 'transfer')));
  });
});
