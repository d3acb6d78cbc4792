/**
 * The run lifecycle. A job run copies the project, writes the parameterised pipeline file into the
 * copy, starts a noninteractive session (session uuid = run uuid) with the services scoped to
 * `noninteractive`, waits until they are ready, runs the steps in DAG order, and always stops the
 * session afterwards (success, failure, cancel). An interactive run executes selected steps inside
 * the running interactive session of a pipeline, which it leaves running.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineSpec } from '../spec/index.ts';
import type { ProjectRecord } from '../store/index.ts';
import { toBerthError } from '../shared/index.ts';
import { orderSteps } from './dag.ts';
import { JobError } from './errors.ts';
import type { StepExecutor } from './executor.ts';
import { copyProject, writePipelineFile } from './files.ts';
import type { JobsOptions } from './jobs.ts';
import { killStepProcesses } from './orphans.ts';
import { applyParameters } from './parameters.ts';
import { requireProject, requireRun } from './refs.ts';
import { stopRunSession, waitForServices, writeServicesFile } from './run-session.ts';
import { pendingStep, runSteps, StepLifecycle, type StepContext, type StepRunner } from './run-steps.ts';
import { FINISHED_RUN_STATUSES, type JobRecord, type JobStore, type RunRecord, type RunStatus } from './store.ts';
import { StepTokens } from './tokens.ts';
import type { JobEvent } from './views.ts';

type Outcome = { status: RunStatus; reason: string | null };

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

export interface RunsContext {
  options: JobsOptions;
  store: JobStore;
  /** Where run directories go (`<runsDir>/<job>/<run>`, `<runsDir>/interactive/<run>`). */
  runsDir: string;
  executor: StepExecutor;
  emit: (event: JobEvent) => void;
}

export class Runs {
  readonly #c: RunsContext;
  readonly #o: JobsOptions;
  readonly #active = new Map<string, ActiveRun>();
  readonly #tokens: StepTokens;
  readonly #steps: StepLifecycle;
  readonly #runner: StepRunner;

  constructor(context: RunsContext) {
    this.#c = context;
    const o = (this.#o = context.options);
    this.#tokens = new StepTokens({ ...(o.issueSessionToken ? { issue: o.issueSessionToken } : {}), ...(o.revokeSessionTokens ? { revoke: o.revokeSessionTokens } : {}), logger: o.logger });
    this.#steps = new StepLifecycle(context.store, context.emit);
    const runtime = o.sessions.runtime.kind;
    this.#runner = {
      store: context.store,
      lifecycle: this.#steps,
      executor: context.executor,
      concurrency: o.concurrency ?? 2,
      envBase: () => ({
        host: process.env,
        dataDir: o.sharedDataDir,
        apiUrl: o.apiUrl(),
        runtime,
        namespace: runtime === 'kubernetes' ? (o.namespace ?? process.env.BERTH_K8S_NAMESPACE ?? '') : '',
        cluster: o.store.installationId(),
      }),
    };
  }

  /** Records a run of the job and starts it in the background. */
  startJobRun(job: JobRecord): RunRecord {
    const project = requireProject(this.#o.store, job.projectUuid);
    const spec = applyParameters(job.spec, job.parameters);
    const uuid = randomUUID();
    const run = this.#addRun(spec, undefined, { uuid, jobUuid: job.uuid, type: 'job', projectUuid: job.projectUuid, pipelineUuid: job.pipelineUuid, pipelinePath: job.pipelinePath, sessionUuid: uuid, runDir: join(this.#c.runsDir, job.uuid, uuid) });
    this.#track(run.uuid, (signal) => this.#executeJobRun(run, job, project, spec, signal));
    return run;
  }

  /** Records a run of steps in the pipeline's running interactive session and starts it in the background. */
  startInteractiveRun(input: { projectUuid: string; pipelinePath: string; spec: PipelineSpec; stepIds?: string[] }): RunRecord {
    const project = requireProject(this.#o.store, input.projectUuid);
    if (orderSteps(input.spec, input.stepIds).steps.length === 0) {
      throw new JobError('BERTH_JOB_NEEDS_STEPS', { pipelinePath: input.pipelinePath });
    }
    const session = this.#o.sessions
      .records({ projectUuid: project.uuid, activeOnly: true })
      .find((s) => s.type === 'interactive' && s.pipelineUuid === input.spec.uuid && s.desired === 'running');
    if (!session) {
      throw new JobError('BERTH_JOB_SESSION_NOT_RUNNING', { pipelinePath: input.pipelinePath, project: project.name });
    }
    const uuid = randomUUID();
    const run = this.#addRun(input.spec, input.stepIds, { uuid, jobUuid: null, type: 'interactive', projectUuid: project.uuid, pipelineUuid: input.spec.uuid, pipelinePath: input.pipelinePath, sessionUuid: session.uuid, runDir: join(this.#c.runsDir, 'interactive', uuid) });
    this.#track(run.uuid, (signal) => this.#executeInteractiveRun(run, project, input.spec, input.stepIds, signal));
    return run;
  }

  /** Cancels a run: running steps are killed, the rest skipped, and (for job runs) the session stopped. */
  async cancel(ref: string): Promise<RunRecord> {
    const run = requireRun(this.#c.store, ref);
    if (FINISHED_RUN_STATUSES.includes(run.status)) {
      throw new JobError('BERTH_JOB_RUN_NOT_RUNNING', { runUuid: run.uuid, status: run.status });
    }
    const active = this.#active.get(run.uuid);
    if (active) {
      active.controller.abort();
      await active.done;
    } else {
      // Not executing in this process (Berth restarted meanwhile): settle the records directly.
      await this.#abandon(run, 'cancelled', 'cancelled');
    }
    return run;
  }

  /** Resolves when the run finished here, or the timeout passed. */
  async wait(runUuid: string, timeoutMs: number): Promise<void> {
    const active = this.#active.get(runUuid);
    if (!active) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([active.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Runs that were executing when Berth stopped: marked failed, their leftovers and sessions removed. */
  async recover(): Promise<number> {
    const interrupted = this.#c.store.listRuns({ activeOnly: true }).filter((r) => !this.#active.has(r.uuid));
    for (const run of interrupted) await this.#abandon(run, 'failed', 'interrupted: Berth stopped while the run was in progress');
    await this.#removeStaleSessionFiles();
    return interrupted.length;
  }

  /** Cancels every executing run (their job sessions are stopped) and waits for them. */
  async close(): Promise<void> {
    for (const active of this.#active.values()) active.controller.abort();
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  /** A session stopped: its step tokens go, and the data its interactive runs passed between steps. */
  sessionStopped(sessionUuid: string): void {
    void rm(this.#sessionFilesDir(sessionUuid), { recursive: true, force: true }).catch((error: unknown) =>
      this.#o.logger.warn({ err: error, sessionUuid }, 'removing the session transfer directory failed'),
    );
    void this.#tokens.revoke(sessionUuid, { ifIssued: true });
  }

  // --- execution --------------------------------------------------------------------------------

  #addRun(spec: PipelineSpec, stepIds: string[] | undefined, fields: Omit<RunRecord, 'status' | 'reason' | 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt' | 'servicesReady'>): RunRecord {
    const { steps } = orderSteps(spec, stepIds);
    const logFile = (stepUuid: string) => join(fields.runDir, 'logs', `${stepUuid}.log`);
    return this.#c.store.addRun({ ...fields, status: 'pending' }, steps.map((s, position) => pendingStep(s.uuid, s.title, s.file_path, position, logFile(s.uuid))));
  }

  #track(runUuid: string, execute: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    const done = execute(controller.signal)
      .catch((error: unknown) => this.#o.logger.error({ err: error, runUuid }, 'run failed unexpectedly'))
      .finally(() => this.#active.delete(runUuid));
    this.#active.set(runUuid, { controller, done });
  }

  async #executeJobRun(run: RunRecord, job: JobRecord, project: ProjectRecord, spec: PipelineSpec, signal: AbortSignal): Promise<void> {
    const projectCopy = join(run.runDir, 'project');
    const pipelineFile = join(projectCopy, job.pipelinePath);
    let sessionStarted = false;
    await this.#execute(run, signal, async () => {
      await copyProject(project.path, projectCopy, [this.#o.dataDir, this.#c.runsDir]);
      await writePipelineFile(pipelineFile, spec);
      if (signal.aborted) throw new JobError('BERTH_JOB_CANCELLED');
      sessionStarted = true;
      await this.#o.sessions.start({ projectUuid: job.projectUuid, pipelinePath: job.pipelinePath, spec, projectDir: projectCopy, type: 'noninteractive', runUuid: run.uuid, userEnv: job.env });
      // The job's env vars: project < pipeline < the job's own, merged when the job was created.
      return this.#stepsOnceReady(run, spec, signal, { cwd: projectCopy, pipelineFile, sessionType: 'noninteractive', userEnv: job.env, transferDir: join(run.runDir, 'transfer') });
    }, async () => {
      // The services go whatever happened: a job run never leaves a session behind.
      if (sessionStarted) await stopRunSession(this.#o.sessions, this.#tokens, this.#o.logger, run.sessionUuid);
    });
  }

  async #executeInteractiveRun(run: RunRecord, project: ProjectRecord, spec: PipelineSpec, stepIds: string[] | undefined, signal: AbortSignal): Promise<void> {
    await this.#execute(run, signal, async () =>
      this.#stepsOnceReady(run, spec, signal, {
        cwd: project.path,
        pipelineFile: join(project.path, run.pipelinePath),
        sessionType: 'interactive',
        servicesFile: await writeServicesFile(this.#o.sessions, run),
        // Orchest's interactive runs: project < pipeline env vars, read now (edits apply to the next run).
        userEnv: this.#o.store.mergedEnvVars(project.uuid, spec.uuid),
        // Shared by the session's runs (a step run alone reads what an earlier run output).
        transferDir: join(this.#sessionFilesDir(run.sessionUuid), 'transfer'),
        notebookOutputDir: join(run.runDir, 'notebooks'),
        ...(stepIds ? { stepIds } : {}),
      }),
    );
  }

  /** starting → running → the steps' outcome; a failure or cancel anywhere ends the run with its reason. */
  async #execute(run: RunRecord, signal: AbortSignal, body: () => Promise<Outcome>, teardown?: () => Promise<void>): Promise<void> {
    let outcome: Outcome = { status: 'failed', reason: 'the run ended unexpectedly' };
    this.#setRun(run.uuid, { status: 'starting', startedAt: new Date().toISOString() });
    try {
      outcome = await body();
    } catch (error) {
      outcome = signal.aborted ? { status: 'cancelled', reason: 'cancelled' } : { status: 'failed', reason: toBerthError(error).message };
      if (!signal.aborted && run.type === 'job') this.#o.logger.warn({ err: error, runUuid: run.uuid }, 'run failed');
    } finally {
      this.#steps.settleUnfinished(run.uuid, outcome.status === 'cancelled' ? 'not run: the run was cancelled' : `not run: ${outcome.reason ?? 'the run failed'}`);
      await teardown?.();
      this.#setRun(run.uuid, { status: outcome.status, reason: outcome.reason, finishedAt: new Date().toISOString() });
    }
  }

  async #stepsOnceReady(run: RunRecord, spec: PipelineSpec, signal: AbortSignal, context: Omit<StepContext, 'token'>): Promise<Outcome> {
    await waitForServices(this.#o.sessions, this.#c.store, run, this.#o.servicesTimeoutMs ?? 600_000, signal);
    this.#setRun(run.uuid, { status: 'running' });
    const token = await this.#tokens.issue(run.sessionUuid);
    return runSteps(this.#runner, run, spec, signal, { ...context, ...(token ? { token } : {}) });
  }

  async #abandon(run: RunRecord, status: RunStatus, reason: string): Promise<void> {
    const killed = killStepProcesses(run.uuid);
    if (killed > 0) this.#o.logger.warn({ runUuid: run.uuid, killed }, 'killed step processes left by an interrupted run');
    this.#steps.settleUnfinished(run.uuid, `not run: ${reason}`, { status: 'cancelled', reason });
    if (run.type === 'job') await stopRunSession(this.#o.sessions, this.#tokens, this.#o.logger, run.sessionUuid);
    this.#setRun(run.uuid, { status, reason, finishedAt: new Date().toISOString() });
  }

  #setRun(runUuid: string, fields: Partial<Pick<RunRecord, 'status' | 'reason' | 'startedAt' | 'finishedAt'>>): void {
    this.#c.store.updateRun(runUuid, fields);
    if (fields.status) this.#c.emit({ type: 'run', runUuid, status: fields.status, reason: fields.reason ?? null });
  }

  /** Sessions that stopped while Berth was down never said so: their transfer directories go now. */
  async #removeStaleSessionFiles(): Promise<void> {
    const active = new Set(this.#o.sessions.records({ activeOnly: true }).map((s) => s.uuid));
    const names = await readdir(join(this.#c.runsDir, 'sessions')).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => !active.has(name)).map((name) => rm(this.#sessionFilesDir(name), { recursive: true, force: true })));
  }

  /** An interactive session's files beside its runs (the transfer directory): removed when it stops. */
  #sessionFilesDir(sessionUuid: string): string {
    return join(this.#c.runsDir, 'sessions', sessionUuid);
  }
}
