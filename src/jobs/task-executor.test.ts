/**
 * Steps on a container runtime go through `Runtime.runTask` (docker and kubernetes alike): the
 * executor hands over the step's layout with Berth's files as host files, and turns the task's
 * result into the step's outcome: exit 0, an exit code with the runtime's reason, a task that
 * could not run, a cancel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../runtime/fixtures/fake-runtime.ts';
import type { TaskOptions, TaskResult, TaskSpec } from '../runtime/index.ts';
import type { StepExecution } from './executor.ts';
import { PYTHON_SDK_DIR } from './step-env.ts';
import { createTaskStepExecutor } from './task-executor.ts';

/** The fake runtime as a container runtime: each task prints a line and ends as the test says. */
class TaskRuntime extends FakeRuntime {
  readonly tasks: TaskSpec[] = [];
  result: TaskResult = { exitCode: 0 };

  constructor() {
    super({ kind: 'docker' });
  }

  async runTask(task: TaskSpec, options: TaskOptions): Promise<TaskResult> {
    this.tasks.push(task);
    writeFileSync(options.logFile, `${task.argv.join(' ')} ran\n`, { flag: 'a' });
    if (options.signal.aborted) return { exitCode: null, reason: 'cancelled' };
    return this.result;
  }
}

function setup(t: { after: (fn: () => void) => void }) {
  const project = mkdtempSync(join(tmpdir(), 'berth-task-step-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  writeFileSync(join(project, 'load.py'), 'print("hi")\n');
  const runtime = new TaskRuntime();
  const executor = createTaskStepExecutor({ runtime, installationId: 'inst', resolveImage: () => 'env-image:1' });
  const step = (signal = new AbortController().signal): StepExecution => ({
    stepUuid: 'step-uuid',
    title: 'Load',
    filePath: 'load.py',
    cwd: project,
    env: {},
    logFile: join(project, 'logs', 'load.log'),
    environment: 'env-uuid',
    sessionUuid: 'sid',
    projectUuid: 'project-uuid',
    envInput: {
      host: {},
      userEnv: {},
      stepUuid: 'step-uuid',
      runUuid: 'run-uuid',
      sessionUuid: 'sid',
      sessionType: 'noninteractive',
      pipelineUuid: 'pipeline-uuid',
      pipelinePath: join(project, 'p.orchest'),
      projectUuid: 'project-uuid',
      projectDir: project,
      dataDir: '/srv/data',
      apiUrl: 'http://127.0.0.1:4000',
      transferDir: join(project, 'transfer'),
      runtime: 'docker',
      namespace: '',
      cluster: 'inst',
    },
    signal,
  });
  return { runtime, executor, step, project };
}

test('the runtime runs the step: its layout, Berth files as host files, the API URL to rewrite; exit 0 succeeds', async (t) => {
  const { runtime, executor, step, project } = setup(t);
  assert.deepEqual(await executor.run(step()), { status: 'succeeded', exitCode: 0 });
  const [task] = runtime.tasks;
  assert.equal(task?.image, 'env-image:1');
  assert.deepEqual(task?.argv, ['python3', 'load.py']);
  assert.deepEqual(task?.hostFiles, [{ hostPath: PYTHON_SDK_DIR, target: '/berth/sdk/python' }]);
  assert.deepEqual(task?.hostUrlEnv, ['BERTH_API_URL']);
  assert.ok(task?.mounts.every((m) => m.source === 'project' || m.source === 'data'));
  const log = readFileSync(join(project, 'logs', 'load.log'), 'utf8');
  assert.match(log, /^\[berth\] \S+ step "Load" in env-image:1: python3 load\.py\npython3 load\.py ran\n$/);
});

test("an exit code fails the step with the runtime's reason; a task that cannot run says why; a cancel is cancelled", async (t) => {
  const { runtime, executor, step } = setup(t);
  runtime.result = { exitCode: 137, reason: 'OOMKilled' };
  assert.deepEqual(await executor.run(step()), { status: 'failed', exitCode: 137, reason: 'step "Load" exited with code 137 (killed for lack of memory)' });
  runtime.result = { exitCode: null, reason: 'the engine could not run its container from env-image:1: no such image' };
  assert.deepEqual(await executor.run(step()), { status: 'failed', exitCode: null, reason: 'cannot run step "Load": the engine could not run its container from env-image:1: no such image' });
  const controller = new AbortController();
  runtime.result = { exitCode: 143 };
  const running = executor.run(step(controller.signal));
  controller.abort();
  assert.equal((await running).status, 'cancelled');
});
