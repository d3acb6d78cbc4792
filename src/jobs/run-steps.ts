/**
 * A run's steps: each step's lifecycle in the store and as events (`StepLifecycle`, the one way a
 * step's status changes), and the walk of the DAG that executes them with their env.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineSpec } from '../spec/index.ts';
import { orderSteps, walkDag, type DagStep, type StepOutcome } from './dag.ts';
import type { StepExecutor } from './executor.ts';
import { makeTransferDir } from './files.ts';
import { stepEnv, type StepEnvInput } from './step-env.ts';
import type { JobStore, RunRecord, RunStatus, RunStepRecord, StepStatus } from './store.ts';
import type { JobEvent } from './views.ts';

/**
 * Every change of a step's status: the DAG walk (running, then its outcome or skipped), a cancel
 * of a run this process no longer executes, and the steps a failed or cancelled run never
 * reached. The record and the event always agree; a step's duration is known to the process
 * that started it.
 */
export class StepLifecycle {
  readonly #store: JobStore;
  readonly #emit: (event: JobEvent) => void;
  /** Start times (ms) of the steps this process started, by `<run>/<step>`. */
  readonly #started = new Map<string, number>();

  constructor(store: JobStore, emit: (event: JobEvent) => void) {
    this.#store = store;
    this.#emit = emit;
  }

  set(runUuid: string, stepUuid: string, status: StepStatus, details: { reason?: string | null; exitCode?: number | null } = {}): void {
    const key = `${runUuid}/${stepUuid}`;
    const at = Date.now();
    const reason = details.reason ?? null;
    if (status === 'running') {
      this.#started.set(key, at);
      this.#store.updateStep(runUuid, stepUuid, { status, startedAt: new Date(at).toISOString() });
    } else {
      const start = this.#started.get(key);
      this.#started.delete(key);
      this.#store.updateStep(runUuid, stepUuid, {
        status,
        reason,
        ...(details.exitCode === undefined ? {} : { exitCode: details.exitCode }),
        ...(start === undefined ? {} : { finishedAt: new Date(at).toISOString(), durationMs: at - start }),
      });
    }
    this.#emit({ type: 'step', runUuid, stepUuid, status, reason });
  }

  /** Steps still `pending` (`running` too, with `runningAs`) when their run ends without them. */
  settleUnfinished(runUuid: string, reason: string, runningAs?: { status: StepStatus; reason: string }): void {
    for (const step of this.#store.listSteps(runUuid)) {
      if (step.status === 'running' && runningAs) this.set(runUuid, step.stepUuid, runningAs.status, { reason: runningAs.reason });
      else if (step.status === 'pending') this.set(runUuid, step.stepUuid, 'skipped', { reason });
    }
  }
}

/** What the steps of one run share: where they run, their env, and how they reach the session. */
export interface StepContext {
  cwd: string;
  pipelineFile: string;
  sessionType: 'interactive' | 'noninteractive';
  userEnv: Record<string, string>;
  transferDir: string;
  token?: string;
  notebookOutputDir?: string;
  servicesFile?: string;
  stepIds?: string[];
}

/** What runSteps needs of Jobs: the env's fixed parts and the executor. */
export interface StepRunner {
  store: JobStore;
  lifecycle: StepLifecycle;
  executor: StepExecutor;
  concurrency: number;
  /** The parts of every step's env that do not depend on the run (paths, API URL, runtime, cluster). */
  envBase: () => Pick<StepEnvInput, 'host' | 'dataDir' | 'apiUrl' | 'runtime' | 'namespace' | 'cluster'>;
}

/** Runs the (selected) steps of a run in DAG order; resolves with the run's outcome. */
export async function runSteps(runner: StepRunner, run: RunRecord, spec: PipelineSpec, signal: AbortSignal, context: StepContext): Promise<{ status: RunStatus; reason: string | null }> {
  const { dag } = orderSteps(spec, context.stepIds);
  const records = new Map(runner.store.listSteps(run.uuid).map((s) => [s.stepUuid, s]));
  const exitCodes = new Map<string, number | null>();
  const failures: string[] = [];
  const execute = async (step: DagStep, stepSignal: AbortSignal): Promise<StepOutcome> => {
    const outcome = await executeStep(runner, run, spec, step, records.get(step.uuid), context, stepSignal);
    exitCodes.set(step.uuid, outcome.exitCode);
    if (outcome.status === 'failed') failures.push(outcome.reason ?? `step "${step.title}" failed`);
    return outcome;
  };
  if (context.notebookOutputDir) await mkdir(context.notebookOutputDir, { recursive: true });
  await makeTransferDir(context.transferDir, context.cwd);
  await walkDag(dag, {
    concurrency: runner.concurrency,
    signal,
    execute,
    onStatus: (step, status, details) => {
      const exitCode = exitCodes.get(step.uuid);
      runner.lifecycle.set(run.uuid, step.uuid, status, { reason: details?.reason ?? null, ...(exitCode === undefined || status === 'running' ? {} : { exitCode }) });
    },
  });
  if (signal.aborted) return { status: 'cancelled', reason: 'cancelled' };
  if (failures.length > 0) return { status: 'failed', reason: failures.join('; ') };
  return { status: 'succeeded', reason: null };
}

function executeStep(
  runner: StepRunner,
  run: RunRecord,
  spec: PipelineSpec,
  step: DagStep,
  record: RunStepRecord | undefined,
  context: StepContext,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const stepSpec = spec.steps[step.uuid]!;
  const envInput: StepEnvInput = {
    ...runner.envBase(),
    userEnv: context.userEnv,
    stepUuid: step.uuid,
    runUuid: run.uuid,
    sessionUuid: run.sessionUuid,
    sessionType: context.sessionType,
    pipelineUuid: spec.uuid,
    pipelinePath: context.pipelineFile,
    projectUuid: run.projectUuid,
    projectDir: context.cwd,
    transferDir: context.transferDir,
    ...(context.token ? { sessionToken: context.token } : {}),
    ...(context.servicesFile ? { servicesFile: context.servicesFile } : {}),
  };
  return runner.executor.run({
    stepUuid: step.uuid,
    title: step.title,
    filePath: stepSpec.file_path,
    cwd: context.cwd,
    env: stepEnv(envInput),
    logFile: record?.logFile ?? join(run.runDir, 'logs', `${step.uuid}.log`),
    environment: stepSpec.environment,
    sessionUuid: run.sessionUuid,
    projectUuid: run.projectUuid,
    envInput,
    signal,
    ...(context.notebookOutputDir ? { notebookOutputDir: context.notebookOutputDir } : {}),
  });
}

/** A step of a new run, before anything ran. */
export function pendingStep(stepUuid: string, title: string, filePath: string, position: number, logFile: string): Omit<RunStepRecord, 'runUuid'> {
  return { stepUuid, title, filePath, position, status: 'pending', reason: null, exitCode: null, startedAt: null, finishedAt: null, durationMs: null, logFile };
}
