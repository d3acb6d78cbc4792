/**
 * Jobs and runs, the API the server and the CLI use. A job is a snapshot (pipeline spec, env vars,
 * parameters), created, shown and deleted here; its runs and interactive runs go through their
 * lifecycle in runs.ts, their steps in run-steps.ts, on the executor the runtime asks for
 * (step-executors.ts).
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SessionEvent, SessionManager } from '../sessions/index.ts';
import type { CoreStore, Db, SecretBox } from '../store/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import { orderSteps } from './dag.ts';
import { JobError } from './errors.ts';
import type { StepExecutor } from './executor.ts';
import { checkEnvNames, checkParameters, emptyParameters } from './parameters.ts';
import { requireJob, requireRun } from './refs.ts';
import { Runs } from './runs.ts';
import { chooseStepExecutor } from './step-executors.ts';
import { FINISHED_RUN_STATUSES, JobStore, type JobParameters } from './store.ts';
import { jobView, runView, type JobEvent, type JobView, type RunView } from './views.ts';

export type { JobEvent, JobView, RunView, StepView } from './views.ts';

export interface JobsOptions {
  db: Db;
  /** Seals each job's env at rest (the server's key, src/store/secret-box.ts); absent in tests. */
  secrets?: SecretBox;
  store: CoreStore;
  sessions: SessionManager;
  /** Berth's data directory: runs live under `<dataDir>/jobs/<job>/<run>/` unless `runsDir` says otherwise. */
  dataDir: string;
  /**
   * Where run directories go (default `<dataDir>/jobs`). The kubernetes runtime needs them on the
   * projects claim, where step and service pods can mount a run's copy of the project.
   */
  runsDir?: string;
  /** The shared data directory (Orchest's `/data`). */
  sharedDataDir: string;
  /** The server's URL, for BERTH_API_URL (known only once the server listens). */
  apiUrl: () => string;
  /** A token that reaches only this session's API (the SDK reads the session with it). */
  issueSessionToken?: (sessionUuid: string) => string | Promise<string>;
  revokeSessionTokens?: (sessionUuid: string) => void | Promise<void>;
  logger: Logger;
  /** Independent steps run in parallel, at most this many at once. Default 2. */
  concurrency?: number;
  /** How long a run waits for its services to become ready. Default 10 minutes. */
  servicesTimeoutMs?: number;
  /** SIGTERM-to-SIGKILL grace for cancelled steps. */
  graceMs?: number;
  /**
   * The newest built image of a project's environment (steps' images on container runtimes). Given
   * by the server, as for sessions, so jobs do not depend on src/environments.
   */
  resolveEnvironmentImage?: (projectUuid: string, environmentUuid: string) => string;
  /** Overrides the executor chosen from the runtime (tests). */
  executor?: StepExecutor;
  /** The kubernetes runtime's namespace, for the steps' ORCHEST_NAMESPACE (default BERTH_K8S_NAMESPACE). */
  namespace?: string;
}

export interface CreateJobInput {
  projectUuid: string;
  /** Pipeline file path relative to the project directory. */
  pipelinePath: string;
  spec: PipelineSpec;
  name?: string;
  /** Overrides of the project+pipeline env vars copied at creation. */
  env?: Record<string, string>;
  parameters?: JobParameters;
}

export class Jobs extends EventEmitter<{ event: [JobEvent] }> {
  readonly store: JobStore;
  readonly #o: JobsOptions;
  readonly #runsDir: string;
  readonly #runs: Runs;
  readonly #onSessionEvent = (event: SessionEvent) => {
    if (event.type === 'session' && event.status === 'stopped') this.#runs.sessionStopped(event.sessionUuid);
  };

  constructor(options: JobsOptions) {
    super();
    this.#o = options;
    this.store = new JobStore(options.db, options.secrets);
    this.#runsDir = options.runsDir ?? join(options.dataDir, 'jobs');
    this.#runs = new Runs({
      options,
      store: this.store,
      runsDir: this.#runsDir,
      executor: options.executor ?? chooseStepExecutor(options),
      emit: (event) => this.emit('event', event),
    });
    options.sessions.on('event', this.#onSessionEvent);
  }

  // --- jobs -------------------------------------------------------------------------------------

  createJob(input: CreateJobInput): JobView {
    orderSteps(input.spec); // a job whose steps cannot run is refused at creation, not at its first run
    const parameters = checkParameters(input.parameters ?? emptyParameters(), input.spec);
    const env = { ...this.#o.store.mergedEnvVars(input.projectUuid, input.spec.uuid), ...checkEnvNames(input.env ?? {}) };
    const record = this.store.addJob({
      name: input.name ?? `${input.spec.name} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      projectUuid: input.projectUuid,
      pipelineUuid: input.spec.uuid,
      pipelinePath: input.pipelinePath,
      spec: structuredClone(input.spec),
      env,
      parameters,
    });
    return jobView(record, false);
  }

  listJobs(projectUuid?: string): JobView[] {
    return this.store.listJobs(projectUuid).map((j) => jobView(j, false));
  }

  getJob(ref: string, options: { reveal?: boolean } = {}): JobView {
    return jobView(requireJob(this.store, ref), Boolean(options.reveal));
  }

  /**
   * Deletes a job with its runs' records and directories (copies of the project, step logs,
   * executed notebooks). Refused while a run of it is active: cancel that run first.
   */
  async deleteJob(ref: string): Promise<{ uuid: string; runs: number }> {
    const job = requireJob(this.store, ref);
    const runs = this.store.listRuns({ jobUuid: job.uuid });
    const active = runs.filter((r) => !FINISHED_RUN_STATUSES.includes(r.status));
    if (active.length) {
      throw new JobError('BERTH_JOB_RUN_STILL_ACTIVE', { job: job.name, runs: active.map((r) => r.uuid) });
    }
    this.store.deleteJob(job.uuid);
    // The records go first: a directory that cannot be removed leaves files behind, never a job without its runs.
    await Promise.all([...new Set([join(this.#runsDir, job.uuid), ...runs.map((r) => r.runDir)])].map((dir) => rm(dir, { recursive: true, force: true })));
    return { uuid: job.uuid, runs: runs.length };
  }

  // --- runs -------------------------------------------------------------------------------------

  /** Records a run of the job and starts it in the background; poll getRun or wait with waitRun. */
  async startRun(jobRef: string): Promise<RunView> {
    return this.getRun(this.#runs.startJobRun(requireJob(this.store, jobRef)).uuid);
  }

  /**
   * Runs steps of a pipeline (all, or the selected ones by uuid or title) inside its running
   * interactive session: the live project directory, project+pipeline env vars, the session's services.
   */
  async runPipelineSteps(input: { projectUuid: string; pipelinePath: string; spec: PipelineSpec; stepIds?: string[] }): Promise<RunView> {
    return this.getRun(this.#runs.startInteractiveRun(input).uuid);
  }

  getRun(ref: string): RunView {
    return runView(requireRun(this.store, ref), this.store, this.#o.sessions);
  }

  listRuns(filter: { job?: string; projectUuid?: string; activeOnly?: boolean } = {}): RunView[] {
    const jobUuid = filter.job ? requireJob(this.store, filter.job).uuid : undefined;
    return this.store
      .listRuns({
        ...(jobUuid ? { jobUuid } : {}),
        ...(filter.projectUuid ? { projectUuid: filter.projectUuid } : {}),
        ...(filter.activeOnly ? { activeOnly: true } : {}),
      })
      .map((r) => this.getRun(r.uuid));
  }

  /** Cancels a run: running steps are killed, the rest skipped, and (for job runs) the session stopped. */
  async cancelRun(ref: string): Promise<RunView> {
    return this.getRun((await this.#runs.cancel(ref)).uuid);
  }

  /** The log file of one step of a run (by step uuid or title). */
  stepLogFile(runRef: string, stepRef: string): string {
    const run = requireRun(this.store, runRef);
    const steps = this.store.listSteps(run.uuid);
    const step = steps.find((s) => s.stepUuid === stepRef) ?? steps.find((s) => s.title === stepRef);
    if (!step) {
      throw new JobError('BERTH_JOB_STEP_NOT_FOUND', { step: stepRef, run: run.uuid, steps: steps.map((s) => s.title) });
    }
    return step.logFile;
  }

  isFinished(ref: string): boolean {
    return FINISHED_RUN_STATUSES.includes(requireRun(this.store, ref).status);
  }

  /** Resolves when the run finished (or the timeout passed) with its view. */
  async waitRun(ref: string, timeoutMs = 600_000): Promise<RunView> {
    const run = requireRun(this.store, ref);
    await this.#runs.wait(run.uuid, timeoutMs);
    return this.getRun(run.uuid);
  }

  /**
   * After Berth restarts, runs that were executing have lost their step processes' supervisor:
   * they are marked failed and their sessions stopped (call after `sessions.recover()`).
   */
  recover(): Promise<number> {
    return this.#runs.recover();
  }

  /** Cancels every executing run (their job sessions are stopped) and waits for them. */
  async close(): Promise<void> {
    await this.#runs.close();
    this.#o.sessions.off('event', this.#onSessionEvent);
  }
}
