/**
 * Data passing (orchest.output / get_inputs) and the step environment, end to end, the same on
 * every runtime: steps Named (output under "a"), First and Second (unnamed outputs) feed Collect,
 * whose incoming_connections are [Second, Named, First]; Collect writes what get_inputs() returned
 * and its environment. Project, pipeline and job env vars overlap so the merge order shows.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Jobs, RunView } from '../src/jobs/index.ts';
import type { BerthServer } from '../src/server/index.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import type { ProjectFixture } from './jobs-support.ts';

export const TRANSFER_PIPELINE = 'transfer.orchest';

/** What Collect dumps: get_inputs(), ORCHEST_* and BERTH_* variables, and the user's. */
const COLLECT = [
  'import json, os, orchest',
  'inputs = orchest.get_inputs()',
  'env = {k: v for k, v in os.environ.items() if k.startswith(("ORCHEST_", "BERTH_", "USER_"))}',
  'json.dump({"inputs": inputs, "env": env}, open("collected.json", "w"))',
  'print("collected", sorted(inputs))',
].join('\n');

export function transferFixture(dir: string): ProjectFixture {
  return {
    dir,
    file: TRANSFER_PIPELINE,
    steps: [
      { title: 'Named', file: 'named.py', source: 'import orchest\norchest.output({"from": "Named", "rows": [1, 2, 3]}, name="a")\n' },
      // Output twice: the second output replaces the first (Orchest's one output per step).
      { title: 'First', file: 'first.py', source: 'import orchest\norchest.output("replaced", name="old")\norchest.output("first unnamed", name=None)\n' },
      { title: 'Second', file: 'second.py', source: 'import orchest\norchest.output(["second", "unnamed"], name=None)\n' },
      { title: 'Collect', file: 'collect.py', after: ['Second', 'Named', 'First'], source: COLLECT },
    ],
  };
}

/** Project < pipeline < job: each later level overrides one variable of the earlier ones. */
export function setTransferEnvVars(server: BerthServer, projectUuid: string, pipelineUuid: string): void {
  server.store.setEnvVar(projectUuid, '', 'USER_PROJECT_ONLY', 'project');
  server.store.setEnvVar(projectUuid, '', 'USER_PIPELINE_WINS', 'project');
  server.store.setEnvVar(projectUuid, '', 'USER_JOB_WINS', 'project');
  server.store.setEnvVar(projectUuid, pipelineUuid, 'USER_PIPELINE_WINS', 'pipeline');
  server.store.setEnvVar(projectUuid, pipelineUuid, 'USER_JOB_WINS', 'pipeline');
  // A user variable cannot shadow Orchest's: ORCHEST_* come last.
  server.store.setEnvVar(projectUuid, pipelineUuid, 'ORCHEST_STEP_UUID', 'shadowed');
}

export const JOB_ENV = { USER_JOB_WINS: 'job' };

export async function createTransferJob(server: BerthServer, project: string): Promise<string> {
  const record = server.projects.get(project);
  const loaded = await loadPipelineFile(join(record.path, TRANSFER_PIPELINE));
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  return server.jobs.createJob({ projectUuid: record.uuid, pipelinePath: TRANSFER_PIPELINE, spec: loaded.spec, env: JOB_ENV }).uuid;
}

export async function runLogs(run: RunView): Promise<string> {
  const logs = await Promise.all(run.steps.map(async (s) => `--- ${s.title}: ${s.status} ${s.reason ?? ''}\n${await readFile(s.logFile, 'utf8').catch(() => '')}`));
  return `${JSON.stringify({ status: run.status, reason: run.reason })}\n${logs.join('\n')}`;
}

export interface Collected {
  inputs: Record<string, unknown>;
  env: Record<string, string>;
}

export async function readCollected(projectDir: string): Promise<Collected> {
  return JSON.parse(await readFile(join(projectDir, 'collected.json'), 'utf8')) as Collected;
}

/** Named outputs by name, unnamed ones in incoming_connections order (Second before First). */
export function assertInputs(collected: Collected): void {
  assert.deepEqual(collected.inputs, { a: { from: 'Named', rows: [1, 2, 3] }, unnamed: [['second', 'unnamed'], 'first unnamed'] });
}

/**
 * Every ORCHEST_* variable docs/jobs.md lists, with Orchest's meaning, and the merged user
 * variables. `paths` are the project directory, pipeline file and transfer directory as the step saw them.
 */
export function assertStepEnv(
  env: Record<string, string>,
  expected: {
    run: RunView;
    stepUuid: string;
    pipelineUuid: string;
    cluster: string;
    sessionType: 'interactive' | 'noninteractive';
    paths: { projectDir: string; pipelineFile: string; transferDir: string; dataDir: string };
    user: Record<string, string>;
  },
): void {
  const orchest = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('ORCHEST_')));
  assert.deepEqual(orchest, {
    ORCHEST_STEP_UUID: expected.stepUuid,
    ORCHEST_SESSION_UUID: expected.run.sessionUuid,
    ORCHEST_SESSION_TYPE: expected.sessionType,
    ORCHEST_PIPELINE_UUID: expected.pipelineUuid,
    ORCHEST_PIPELINE_PATH: expected.paths.pipelineFile,
    ORCHEST_PROJECT_UUID: expected.run.projectUuid,
    ORCHEST_NAMESPACE: '',
    ORCHEST_CLUSTER: expected.cluster,
    ORCHEST_MEMORY_EVICTION: '1',
    ORCHEST_PROJECT_DIR: expected.paths.projectDir,
    ORCHEST_DATA_DIR: expected.paths.dataDir,
  });
  assert.equal(env.BERTH_TRANSFER_DIR, expected.paths.transferDir);
  assert.deepEqual(Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('USER_'))), expected.user);
}

/** Job runs evict an output once every step after it has read it (Orchest forced auto_eviction on for jobs). */
export function assertEvicted(transferDir: string, stepUuids: string[]): void {
  for (const uuid of stepUuids) assert.equal(existsSync(join(transferDir, uuid, 'HEAD')), false, `output of ${uuid} evicted after Collect read it`);
}

export type { Jobs };
