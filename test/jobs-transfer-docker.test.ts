/**
 * Data passing and the step environment on the docker runtime (Docker Engine), end to end: the
 * pipeline of transfer-support.ts in step containers from an environment image with Debian's
 * python3. Steps see Orchest's container paths (/project-dir, /data) and the run's transfer
 * directory mounted at /berth/transfer; a job run and an interactive run pass outputs the same way
 * as on the local runtime.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engines, removeTestImages } from '../src/runtime/docker/test-helpers.ts';
import type { BerthServer } from '../src/server/index.ts';
import type { BerthClient } from '../src/sdk/client.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { startTestServer, tempDir } from './support/berth.ts';
import { skipUnless } from './support/requirements.ts';
import { buildAndWait } from './support/environments.ts';
import { writeProject } from './jobs-support.ts';
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

const SETUP_SCRIPT = [
  '#!/bin/bash',
  'set -e',
  'echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/unsafe-io',
  'apt-get update',
  'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3',
  'rm -rf /var/lib/apt/lists/*',
  '',
].join('\n');

const CONTAINER_PATHS = { projectDir: '/project-dir', pipelineFile: `/project-dir/${TRANSFER_PIPELINE}`, transferDir: '/berth/transfer', dataDir: '/data' };

const docker = (await engines()).find((e) => e.name === 'docker')!;

describe('orchest.transfer and the step environment on the docker runtime', skipUnless(docker.requirement), () => {
  const cleanups: (() => Promise<void>)[] = [];
  let server: BerthServer;
  let client: BerthClient;
  let dataDir: string;
  let dir: string;
  let pipelineUuid: string;
  let stepUuids: Record<string, string>;

  before(async () => {
    const scope = { after: (fn: () => Promise<void>) => void cleanups.push(fn) };
    ({ server, client, dataDir } = await startTestServer(scope, { runtime: 'docker', dockerHost: `unix://${docker.socketPath}` }));
    dir = await tempDir(scope, 'berth-transfer-docker-');
    await client.addProject(dir, 'pass');
    const { environment } = await client.request<{ environment: { uuid: string } }>('POST', '/api/projects/pass/environments', {
      name: 'python',
      base_image: 'localhost/debian:bookworm',
      setupScript: SETUP_SCRIPT,
    });
    const build = await buildAndWait(client, 'pass', environment.uuid);
    if (build.image) cleanups.unshift(() => removeTestImages(docker.socketPath, [build.image]));
    assert.equal(build.status, 'succeeded', `${build.error ?? ''}\n${build.log.slice(-3000)}`);
    ({ pipelineUuid, stepUuids } = await writeProject(transferFixture(dir)));
    // Container runtimes run each step in its environment's image.
    const file = join(dir, TRANSFER_PIPELINE);
    const pipeline = JSON.parse(await readFile(file, 'utf8')) as { steps: Record<string, { environment: string }> };
    for (const step of Object.values(pipeline.steps)) step.environment = environment.uuid;
    await writeFile(file, `${JSON.stringify(pipeline, null, 4)}\n`);
    setTransferEnvVars(server, server.projects.get('pass').uuid, pipelineUuid);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('a job run passes named and unnamed outputs between step containers, with every ORCHEST_* variable at container paths', async () => {
    const run = await server.jobs.waitRun((await server.jobs.startRun(await createTransferJob(server, 'pass'))).uuid, 300_000);
    assert.equal(run.status, 'succeeded', await runLogs(run));
    const collected = await readCollected(join(run.runDir, 'project'));
    assertInputs(collected);
    assertStepEnv(collected.env, {
      run,
      stepUuid: stepUuids.Collect!,
      pipelineUuid,
      cluster: server.store.installationId(),
      sessionType: 'noninteractive',
      paths: CONTAINER_PATHS,
      user: { USER_PROJECT_ONLY: 'project', USER_PIPELINE_WINS: 'pipeline', USER_JOB_WINS: 'job' },
    });
    assertEvicted(join(run.runDir, 'transfer'), [stepUuids.Named!, stepUuids.First!, stepUuids.Second!]);
  });

  test("an interactive run passes outputs through the session's directory, removed when the session stops", async () => {
    const { session } = await client.startSession('pass', TRANSFER_PIPELINE);
    const settled = await server.sessions.waitSettled(session.uuid, 60_000);
    assert.equal(settled.status, 'running', settled.reason ?? '');
    const record = server.projects.get('pass');
    const loaded = await loadPipelineFile(join(record.path, TRANSFER_PIPELINE));
    const run = await server.jobs.waitRun((await server.jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: TRANSFER_PIPELINE, spec: loaded.spec! })).uuid, 300_000);
    assert.equal(run.status, 'succeeded', await runLogs(run));
    const collected = await readCollected(dir);
    assertInputs(collected);
    assertStepEnv(collected.env, {
      run,
      stepUuid: stepUuids.Collect!,
      pipelineUuid,
      cluster: server.store.installationId(),
      sessionType: 'interactive',
      paths: CONTAINER_PATHS,
      user: { USER_PROJECT_ONLY: 'project', USER_PIPELINE_WINS: 'pipeline', USER_JOB_WINS: 'pipeline' },
    });
    const sessionDir = join(dataDir, 'jobs', 'sessions', session.uuid);
    assert.ok(existsSync(join(sessionDir, 'transfer', stepUuids.Named!, 'HEAD')), 'the outputs live in the session directory');
    await client.stopSession(session.uuid);
    const deadline = Date.now() + 10_000;
    while (existsSync(sessionDir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(sessionDir), false, "the session's transfer directory is removed when it stops");
  });
});
