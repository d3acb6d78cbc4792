/**
 * Jobs and runs. A job is a snapshot (pipeline spec, env vars, parameters); a run copies the
 * project, writes the parameterised pipeline file into the copy, starts a noninteractive session
 * (session uuid = run uuid) with the services scoped to `noninteractive`, waits until they are ready,
 * runs the steps in DAG order, and always stops the session afterwards (success, failure, cancel).
 * Interactive runs execute selected steps inside the running interactive session of a pipeline.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SessionError, type SessionEvent, type SessionManager, type SessionView, type ServiceView } from '../sessions/index.ts';
import type { CoreStore, Db, ProjectRecord, SecretBox } from '../store/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import { toBerthError } from '../shared/index.ts';
import { orderSteps, walkDag, type DagStep, type StepOutcome } from './dag.ts';
import { JobError } from './errors.ts';
import { createLocalStepExecutor, type StepExecutor } from './executor.ts';
import { createTaskStepExecutor } from './task-executor.ts';
import { createDockerStepExecutor } from './docker-executor.ts';
import { resolveSocketPath } from '../runtime/index.ts';
import { copyProject, makeTransferDir, writePipelineFile } from './files.ts';
import { applyParameters, checkEnvNames, checkParameters, emptyParameters } from './parameters.ts';
import { stepEnv, type StepEnvInput } from './step-env.ts';
import { killStepProcesses } from './orphans.ts';
import {
  FINISHED_RUN_STATUSES,
  JobStore,
  type JobParameters,
  type JobRecord,
  type RunRecord,
  type RunStatus,
  type RunStepRecord,
  type StepStatus,
} from './store.ts';

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
  /** The engine socket of the docker runtime (steps run on the same engine as the services); default DOCKER_HOST. */
  engineSocket?: string;
  /**
   * The newest built image of a project's environment (steps' images on the docker runtime). Given
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

/** A job as the API shows it: env var names only unless revealed. */
export interface JobView extends Omit<JobRecord, 'env' | 'spec'> {
  env: { name: string; value?: string }[];
  steps: { uuid: string; title: string; filePath: string }[];
  services: string[];
  /** Parameters the runs use: the file's values with the job's overrides. */
  effectiveParameters: { pipeline: Record<string, unknown>; steps: Record<string, Record<string, unknown>> };
}

export type StepView = Omit<RunStepRecord, 'runUuid'>;

export interface RunView extends RunRecord {
  jobName: string | null;
  steps: StepView[];
  /** The run's session services (status `stopped` once the run finished). */
  services: ServiceView[];
  sessionStatus: string | null;
}

export type JobEvent =
  | { type: 'run'; runUuid: string; status: RunStatus; reason?: string | null }
  | { type: 'step'; runUuid: string; stepUuid: string; status: StepStatus; reason?: string | null };

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

export class Jobs extends EventEmitter<{ event: [JobEvent] }> {
  readonly store: JobStore;
  readonly #o: JobsOptions;
  readonly #active = new Map<string, ActiveRun>();
  readonly #executor: StepExecutor;
  readonly #runsDir: string;
  /** Sessions this instance issued step tokens for: revoked when the session stops. */
  readonly #tokenSessions = new Set<string>();
  readonly #onSessionEvent = (event: SessionEvent) => {
    if (event.type !== 'session' || event.status !== 'stopped') return;
    // Data passed between steps of an interactive session lives as long as the session.
    void rm(this.#sessionFilesDir(event.sessionUuid), { recursive: true, force: true }).catch((error: unknown) =>
      this.#o.logger.warn({ err: error, sessionUuid: event.sessionUuid }, 'removing the session transfer directory failed'),
    );
    if (!this.#tokenSessions.delete(event.sessionUuid)) return;
    void Promise.resolve(this.#o.revokeSessionTokens?.(event.sessionUuid)).catch((error: unknown) =>
      this.#o.logger.warn({ err: error, sessionUuid: event.sessionUuid }, 'revoking step tokens failed'),
    );
  };

  constructor(options: JobsOptions) {
    super();
    this.#o = options;
    options.sessions.on('event', this.#onSessionEvent);
    this.store = new JobStore(options.db, options.secrets);
    this.#executor = options.executor ?? defaultExecutor(options);
    this.#runsDir = options.runsDir ?? join(options.dataDir, 'jobs');
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
    return jobView(this.#requireJob(ref), Boolean(options.reveal));
  }

  /**
   * Deletes a job with its runs' records and directories (copies of the project, step logs,
   * executed notebooks). Refused while a run of it is active: cancel that run first.
   */
  async deleteJob(ref: string): Promise<{ uuid: string; runs: number }> {
    const job = this.#requireJob(ref);
    const runs = this.store.listRuns({ jobUuid: job.uuid });
    const active = runs.filter((r) => !FINISHED_RUN_STATUSES.includes(r.status));
    if (active.length) {
      throw new JobError('BERTH_JOB_RUN_STILL_ACTIVE', `job "${job.name}" has ${active.length === 1 ? 'a run' : 'runs'} still going (${active.map((r) => r.uuid).join(', ')})`, {
        hint: `cancel ${active.length === 1 ? 'it' : 'them'} first: berth run cancel ${active[0]!.uuid}`,
      });
    }
    this.store.deleteJob(job.uuid);
    // The records go first: a directory that cannot be removed leaves files behind, never a job without its runs.
    await Promise.all([...new Set([join(this.#runsDir, job.uuid), ...runs.map((r) => r.runDir)])].map((dir) => rm(dir, { recursive: true, force: true })));
    return { uuid: job.uuid, runs: runs.length };
  }

  // --- runs -------------------------------------------------------------------------------------

  /** Records a run of the job and starts it in the background; poll getRun or wait with waitRun. */
  async startRun(jobRef: string): Promise<RunView> {
    const job = this.#requireJob(jobRef);
    const project = this.#requireProject(job.projectUuid);
    const spec = applyParameters(job.spec, job.parameters);
    const { steps } = orderSteps(spec);
    const uuid = randomUUID();
    const runDir = join(this.#runsDir, job.uuid, uuid);
    const run = this.store.addRun(
      {
        uuid,
        jobUuid: job.uuid,
        type: 'job',
        projectUuid: job.projectUuid,
        pipelineUuid: job.pipelineUuid,
        pipelinePath: job.pipelinePath,
        sessionUuid: uuid,
        status: 'pending',
        runDir,
      },
      steps.map((s, position) => pendingStep(s.uuid, s.title, s.file_path, position, join(runDir, 'logs', `${s.uuid}.log`))),
    );
    this.#track(run.uuid, (signal) => this.#executeJobRun(run, job, project, spec, signal));
    return this.getRun(run.uuid);
  }

  /**
   * Runs steps of a pipeline (all, or the selected ones by uuid or title) inside its running
   * interactive session: the live project directory, project+pipeline env vars, the session's services.
   */
  async runPipelineSteps(input: { projectUuid: string; pipelinePath: string; spec: PipelineSpec; stepIds?: string[] }): Promise<RunView> {
    const project = this.#requireProject(input.projectUuid);
    const { steps } = orderSteps(input.spec, input.stepIds);
    if (steps.length === 0) {
      throw new JobError('BERTH_JOB_NEEDS_STEPS', `pipeline ${input.pipelinePath} has no steps to run`, {
        hint: 'add steps to the pipeline file first',
      });
    }
    const session = this.#o.sessions
      .records({ projectUuid: project.uuid, activeOnly: true })
      .find((s) => s.type === 'interactive' && s.pipelineUuid === input.spec.uuid && s.desired === 'running');
    if (!session) {
      throw new JobError('BERTH_JOB_SESSION_NOT_RUNNING', `no interactive session of ${input.pipelinePath} is running in project "${project.name}"`, {
        hint: `start it with \`berth session start ${project.name} ${input.pipelinePath}\`, or run the pipeline as a job`,
      });
    }
    const uuid = randomUUID();
    const runDir = join(this.#runsDir, 'interactive', uuid);
    const run = this.store.addRun(
      {
        uuid,
        jobUuid: null,
        type: 'interactive',
        projectUuid: project.uuid,
        pipelineUuid: input.spec.uuid,
        pipelinePath: input.pipelinePath,
        sessionUuid: session.uuid,
        status: 'pending',
        runDir,
      },
      steps.map((s, position) => pendingStep(s.uuid, s.title, s.file_path, position, join(runDir, 'logs', `${s.uuid}.log`))),
    );
    this.#track(run.uuid, (signal) => this.#executeInteractiveRun(run, project, input.spec, input.stepIds, signal));
    return this.getRun(run.uuid);
  }

  getRun(ref: string): RunView {
    const run = this.#requireRun(ref);
    const job = run.jobUuid ? this.store.getJob(run.jobUuid) : undefined;
    let session: SessionView | undefined;
    try {
      session = this.#o.sessions.find(run.sessionUuid) ? this.#o.sessions.get(run.sessionUuid) : undefined;
    } catch {
      session = undefined;
    }
    return {
      ...run,
      jobName: job?.name ?? null,
      steps: this.store.listSteps(run.uuid).map(({ runUuid: _r, ...step }) => step),
      // An interactive run does not own its session: its services are shown as they are now.
      services: session?.services ?? [],
      sessionStatus: session?.status ?? null,
    };
  }

  listRuns(filter: { job?: string; projectUuid?: string; activeOnly?: boolean } = {}): RunView[] {
    const jobUuid = filter.job ? this.#requireJob(filter.job).uuid : undefined;
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
    const run = this.#requireRun(ref);
    if (FINISHED_RUN_STATUSES.includes(run.status)) {
      throw new JobError('BERTH_JOB_RUN_NOT_RUNNING', `run ${run.uuid} already ${run.status}`, {
        hint: 'only pending, starting or running runs can be cancelled',
      });
    }
    const active = this.#active.get(run.uuid);
    if (active) {
      active.controller.abort();
      await active.done;
    } else {
      // Not executing in this process (Berth restarted meanwhile): settle the records directly.
      await this.#abandon(run, 'cancelled', 'cancelled');
    }
    return this.getRun(run.uuid);
  }

  /** The log file of one step of a run (by step uuid or title). */
  stepLogFile(runRef: string, stepRef: string): string {
    const run = this.#requireRun(runRef);
    const steps = this.store.listSteps(run.uuid);
    const step = steps.find((s) => s.stepUuid === stepRef) ?? steps.find((s) => s.title === stepRef);
    if (!step) {
      throw new JobError('BERTH_JOB_STEP_NOT_FOUND', `run ${run.uuid} has no step "${stepRef}"`, {
        hint: `steps of this run: ${steps.map((s) => s.title).join(', ') || '(none)'}`,
      });
    }
    return step.logFile;
  }

  isFinished(ref: string): boolean {
    return FINISHED_RUN_STATUSES.includes(this.#requireRun(ref).status);
  }

  /** Resolves when the run finished (or the timeout passed) with its view. */
  async waitRun(ref: string, timeoutMs = 600_000): Promise<RunView> {
    const run = this.#requireRun(ref);
    const active = this.#active.get(run.uuid);
    if (active) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([active.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.getRun(run.uuid);
  }

  /**
   * After Berth restarts, runs that were executing have lost their step processes' supervisor:
   * they are marked failed and their sessions stopped (call after `sessions.recover()`).
   */
  async recover(): Promise<number> {
    const interrupted = this.store.listRuns({ activeOnly: true }).filter((r) => !this.#active.has(r.uuid));
    for (const run of interrupted) await this.#abandon(run, 'failed', 'interrupted: Berth stopped while the run was in progress');
    await this.#removeStaleSessionFiles();
    return interrupted.length;
  }

  /** Cancels every executing run (their job sessions are stopped) and waits for them. */
  async close(): Promise<void> {
    for (const active of this.#active.values()) active.controller.abort();
    await Promise.all([...this.#active.values()].map((a) => a.done));
    this.#o.sessions.off('event', this.#onSessionEvent);
  }

  // --- execution --------------------------------------------------------------------------------

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
    let outcome: { status: RunStatus; reason: string | null } = { status: 'failed', reason: 'the run ended unexpectedly' };
    let sessionStarted = false;
    this.#setRun(run.uuid, { status: 'starting', startedAt: new Date().toISOString() });
    try {
      await copyProject(project.path, projectCopy, [this.#o.dataDir, this.#runsDir]);
      await writePipelineFile(pipelineFile, spec);
      if (signal.aborted) throw cancelled();
      sessionStarted = true;
      await this.#o.sessions.start({
        projectUuid: job.projectUuid,
        pipelinePath: job.pipelinePath,
        spec,
        projectDir: projectCopy,
        type: 'noninteractive',
        runUuid: run.uuid,
        userEnv: job.env,
      });
      await this.#waitForServices(run, signal);
      this.#setRun(run.uuid, { status: 'running' });
      const token = await this.#issueToken(run.sessionUuid);
      outcome = await this.#runSteps(run, spec, signal, {
        cwd: projectCopy,
        pipelineFile,
        sessionType: 'noninteractive',
        // The job's env vars: project < pipeline < the job's own, merged when the job was created.
        userEnv: job.env,
        transferDir: join(run.runDir, 'transfer'),
        ...(token ? { token } : {}),
      });
    } catch (error) {
      outcome = signal.aborted ? { status: 'cancelled', reason: 'cancelled' } : { status: 'failed', reason: toBerthError(error).message };
      if (!signal.aborted) this.#o.logger.warn({ err: error, runUuid: run.uuid }, 'run failed');
    } finally {
      this.#skipUnfinishedSteps(run.uuid, outcome.status === 'cancelled' ? 'not run: the run was cancelled' : `not run: ${outcome.reason ?? 'the run failed'}`);
      // The services go whatever happened: a job run never leaves a session behind.
      if (sessionStarted) await this.#stopSession(run.sessionUuid);
      this.#setRun(run.uuid, { status: outcome.status, reason: outcome.reason, finishedAt: new Date().toISOString() });
    }
  }

  async #executeInteractiveRun(run: RunRecord, project: ProjectRecord, spec: PipelineSpec, stepIds: string[] | undefined, signal: AbortSignal): Promise<void> {
    let outcome: { status: RunStatus; reason: string | null } = { status: 'failed', reason: 'the run ended unexpectedly' };
    this.#setRun(run.uuid, { status: 'starting', startedAt: new Date().toISOString() });
    try {
      await this.#waitForServices(run, signal);
      this.#setRun(run.uuid, { status: 'running' });
      const token = await this.#issueToken(run.sessionUuid);
      outcome = await this.#runSteps(run, spec, signal, {
        cwd: project.path,
        pipelineFile: join(project.path, run.pipelinePath),
        sessionType: 'interactive',
        servicesFile: await this.#writeServicesFile(run),
        // Orchest's interactive runs: project < pipeline env vars, read now (edits apply to the next run).
        userEnv: this.#o.store.mergedEnvVars(project.uuid, spec.uuid),
        // Shared by the session's runs (a step run alone reads what an earlier run output).
        transferDir: join(this.#sessionFilesDir(run.sessionUuid), 'transfer'),
        notebookOutputDir: join(run.runDir, 'notebooks'),
        ...(token ? { token } : {}),
        ...(stepIds ? { stepIds } : {}),
      });
    } catch (error) {
      outcome = signal.aborted ? { status: 'cancelled', reason: 'cancelled' } : { status: 'failed', reason: toBerthError(error).message };
    } finally {
      this.#skipUnfinishedSteps(run.uuid, outcome.status === 'cancelled' ? 'not run: the run was cancelled' : `not run: ${outcome.reason ?? 'the run failed'}`);
      this.#setRun(run.uuid, { status: outcome.status, reason: outcome.reason, finishedAt: new Date().toISOString() });
    }
  }

  /**
   * What the SDK's get_service returns in an interactive run: the session's services as they run
   * now, in a file beside the run, so steps in containers and pods need no way back to Berth's API
   * (job runs read them from the run's pipeline file).
   */
  async #writeServicesFile(run: RunRecord): Promise<string> {
    const servicesFile = join(run.runDir, 'session-services.json');
    await mkdir(run.runDir, { recursive: true });
    await writeFile(servicesFile, JSON.stringify({ user_services: this.#o.sessions.get(run.sessionUuid).userServices }));
    return servicesFile;
  }

  /** Waits until every service of the session is ready; a failed service fails the run with its reason. */
  async #waitForServices(run: RunRecord, signal: AbortSignal): Promise<void> {
    const { sessionUuid } = run;
    const timeoutMs = this.#o.servicesTimeoutMs ?? 600_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal.aborted) throw cancelled();
      const view = this.#o.sessions.get(sessionUuid);
      if (view.status === 'running') {
        // The record shows every step started after every service's check passed.
        this.store.recordServicesReady(run.uuid, view.services.map((s) => ({ name: s.name, startedAt: s.startedAt, readyAt: s.readyAt })));
        return;
      }
      if (view.status === 'failed') {
        throw new JobError('BERTH_JOB_SERVICES_FAILED', `the run's services did not start: ${view.reason ?? 'a service failed'}`, {
          hint: `see the service's log with \`berth run status\`; fix the pipeline's services and create a new job`,
          details: { services: view.services.map((s) => ({ name: s.name, status: s.status, reason: s.reason, details: s.details })) },
        });
      }
      if (view.status === 'stopped' || view.status === 'stopping') {
        throw new SessionError('BERTH_SESSION_STOPPED', `session ${sessionUuid} was stopped before the steps ran`);
      }
      if (Date.now() > deadline) {
        const waiting = view.services.filter((s) => s.status !== 'ready').map((s) => `${s.name} (${s.status})`);
        throw new JobError('BERTH_JOB_SERVICES_TIMEOUT', `the run's services were not ready after ${Math.round(timeoutMs / 1000)} s: ${waiting.join(', ')}`, {
          hint: 'give slow services a readiness timeout_seconds in the pipeline file',
        });
      }
      await pause(signal, 200);
    }
  }

  async #runSteps(
    run: RunRecord,
    spec: PipelineSpec,
    signal: AbortSignal,
    context: {
      cwd: string;
      pipelineFile: string;
      sessionType: 'interactive' | 'noninteractive';
      userEnv: Record<string, string>;
      transferDir: string;
      token?: string;
      notebookOutputDir?: string;
      servicesFile?: string;
      stepIds?: string[];
    },
  ): Promise<{ status: RunStatus; reason: string | null }> {
    const { dag } = orderSteps(spec, context.stepIds);
    const records = new Map(this.store.listSteps(run.uuid).map((s) => [s.stepUuid, s]));
    const started = new Map<string, number>();
    const failures: string[] = [];
    const execute = async (step: DagStep, stepSignal: AbortSignal): Promise<StepOutcome> => {
      const stepSpec = spec.steps[step.uuid]!;
      const envInput: StepEnvInput = {
        host: process.env,
        userEnv: context.userEnv,
        stepUuid: step.uuid,
        runUuid: run.uuid,
        sessionUuid: run.sessionUuid,
        sessionType: context.sessionType,
        pipelineUuid: spec.uuid,
        pipelinePath: context.pipelineFile,
        projectUuid: run.projectUuid,
        projectDir: context.cwd,
        dataDir: this.#o.sharedDataDir,
        apiUrl: this.#o.apiUrl(),
        transferDir: context.transferDir,
        runtime: this.#o.sessions.runtime.kind,
        namespace: this.#o.sessions.runtime.kind === 'kubernetes' ? (this.#o.namespace ?? process.env.BERTH_K8S_NAMESPACE ?? '') : '',
        cluster: this.#o.store.installationId(),
        ...(context.token ? { sessionToken: context.token } : {}),
        ...(context.servicesFile ? { servicesFile: context.servicesFile } : {}),
      };
      const env = stepEnv(envInput);
      const outcome = await this.#executor.run({
        stepUuid: step.uuid,
        title: step.title,
        filePath: stepSpec.file_path,
        cwd: context.cwd,
        env,
        logFile: records.get(step.uuid)?.logFile ?? join(run.runDir, 'logs', `${step.uuid}.log`),
        environment: stepSpec.environment,
        sessionUuid: run.sessionUuid,
        projectUuid: run.projectUuid,
        envInput,
        signal: stepSignal,
        ...(context.notebookOutputDir ? { notebookOutputDir: context.notebookOutputDir } : {}),
      });
      this.store.updateStep(run.uuid, step.uuid, { exitCode: outcome.exitCode });
      if (outcome.status === 'failed') failures.push(outcome.reason ?? `step "${step.title}" failed`);
      return outcome;
    };
    if (context.notebookOutputDir) await mkdir(context.notebookOutputDir, { recursive: true });
    await makeTransferDir(context.transferDir, context.cwd);
    await walkDag(dag, {
      concurrency: this.#o.concurrency ?? 2,
      signal,
      execute,
      onStatus: (step, status, details) => {
        const at = Date.now();
        if (status === 'running') {
          started.set(step.uuid, at);
          this.store.updateStep(run.uuid, step.uuid, { status, startedAt: new Date(at).toISOString() });
        } else {
          const start = started.get(step.uuid);
          this.store.updateStep(run.uuid, step.uuid, {
            status,
            reason: details?.reason ?? null,
            ...(start === undefined ? {} : { finishedAt: new Date(at).toISOString(), durationMs: at - start }),
          });
        }
        this.emit('event', { type: 'step', runUuid: run.uuid, stepUuid: step.uuid, status, reason: details?.reason ?? null });
      },
    });
    if (signal.aborted) return { status: 'cancelled', reason: 'cancelled' };
    if (failures.length > 0) return { status: 'failed', reason: failures.join('; ') };
    return { status: 'succeeded', reason: null };
  }

  // --- helpers ----------------------------------------------------------------------------------

  async #issueToken(sessionUuid: string): Promise<string | undefined> {
    if (!this.#o.issueSessionToken) return undefined;
    this.#tokenSessions.add(sessionUuid);
    return this.#o.issueSessionToken(sessionUuid);
  }

  async #stopSession(sessionUuid: string): Promise<void> {
    try {
      if (this.#o.sessions.find(sessionUuid)) await this.#o.sessions.stop(sessionUuid);
    } catch (error) {
      this.#o.logger.error({ err: error, sessionUuid }, 'stopping the run session failed');
    }
    try {
      await this.#o.revokeSessionTokens?.(sessionUuid);
    } catch (error) {
      this.#o.logger.warn({ err: error, sessionUuid }, 'revoking the run session tokens failed');
    }
  }

  async #abandon(run: RunRecord, status: RunStatus, reason: string): Promise<void> {
    const killed = killStepProcesses(run.uuid);
    if (killed > 0) this.#o.logger.warn({ runUuid: run.uuid, killed }, 'killed step processes left by an interrupted run');
    for (const step of this.store.listSteps(run.uuid)) {
      if (step.status === 'running') this.store.updateStep(run.uuid, step.stepUuid, { status: 'cancelled', reason });
    }
    this.#skipUnfinishedSteps(run.uuid, `not run: ${reason}`);
    if (run.type === 'job') await this.#stopSession(run.sessionUuid);
    this.#setRun(run.uuid, { status, reason, finishedAt: new Date().toISOString() });
  }

  #skipUnfinishedSteps(runUuid: string, reason: string): void {
    for (const step of this.store.listSteps(runUuid)) {
      if (step.status === 'pending') this.store.updateStep(runUuid, step.stepUuid, { status: 'skipped', reason });
    }
  }

  #setRun(runUuid: string, fields: Partial<Pick<RunRecord, 'status' | 'reason' | 'startedAt' | 'finishedAt'>>): void {
    this.store.updateRun(runUuid, fields);
    if (fields.status) this.emit('event', { type: 'run', runUuid, status: fields.status, reason: fields.reason ?? null });
  }

  /** Sessions that stopped while Berth was down never said so: their transfer directories go now. */
  async #removeStaleSessionFiles(): Promise<void> {
    const active = new Set(this.#o.sessions.records({ activeOnly: true }).map((s) => s.uuid));
    const names = await readdir(join(this.#runsDir, 'sessions')).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => !active.has(name)).map((name) => rm(this.#sessionFilesDir(name), { recursive: true, force: true })));
  }

  /** An interactive session's files beside its runs (the transfer directory): removed when it stops. */
  #sessionFilesDir(sessionUuid: string): string {
    return join(this.#runsDir, 'sessions', sessionUuid);
  }

  #requireJob(ref: string): JobRecord {
    const matches = this.store.findJob(ref);
    if (matches.length === 1) return matches[0]!;
    const known = this.store.listJobs().map((j) => `${j.name} (${j.uuid.slice(0, 8)})`);
    throw new JobError(
      matches.length === 0 ? 'BERTH_JOB_NOT_FOUND' : 'BERTH_JOB_REF_INVALID',
      matches.length === 0 ? `no job "${ref}"` : `${matches.length} jobs match "${ref}"`,
      { hint: known.length ? `name it by uuid; jobs: ${known.join(', ')}` : 'create one with `berth job create PROJECT PIPELINE`' },
    );
  }

  #requireRun(ref: string): RunRecord {
    const matches = this.store.findRuns(ref);
    if (matches.length === 1) return matches[0]!;
    throw new JobError(
      matches.length === 0 ? 'BERTH_JOB_RUN_NOT_FOUND' : 'BERTH_JOB_RUN_REF_INVALID',
      matches.length === 0 ? `no run "${ref}"` : `${matches.length} runs start with "${ref}"`,
      { hint: matches.length === 0 ? 'list runs with `berth run list`' : 'give more of the run uuid' },
    );
  }

  #requireProject(projectUuid: string): ProjectRecord {
    const project = this.#o.store.findProject(projectUuid);
    if (!project) {
      throw new JobError('BERTH_JOB_PROJECT_NOT_FOUND', `project ${projectUuid} of this job is no longer registered`, {
        hint: 'register the project directory again with `berth project add DIR`',
      });
    }
    return project;
  }
}

function defaultExecutor(options: JobsOptions): StepExecutor {
  const kind = options.sessions.runtime.kind;
  const graceMs = options.graceMs ?? 5_000;
  if (kind === 'local') {
    const runtime = options.sessions.runtime;
    return createLocalStepExecutor({ graceMs, ...(runtime.sessionEnterArgv ? { enter: (sid, enterOptions) => runtime.sessionEnterArgv!(sid, enterOptions) } : {}) });
  }
  const environmentImage = (projectUuid: string, environmentUuid: string): string => {
    if (!options.resolveEnvironmentImage) {
      throw new JobError('BERTH_JOB_NO_ENVIRONMENTS', `steps on the ${kind} runtime need environment images, and none can be looked up here`, {
        hint: 'run Jobs with a resolveEnvironmentImage option (berth serve gives one)',
      });
    }
    return options.resolveEnvironmentImage(projectUuid, environmentUuid);
  };
  if (kind === 'docker') {
    return createDockerStepExecutor({
      socketPath: options.engineSocket ?? resolveSocketPath(),
      installationId: options.store.installationId(),
      resolveImage: environmentImage,
      graceMs,
    });
  }
  return createTaskStepExecutor({
    runtime: options.sessions.runtime,
    installationId: options.store.installationId(),
    resolveImage: environmentImage,
    graceMs,
  });
}

function pendingStep(stepUuid: string, title: string, filePath: string, position: number, logFile: string): Omit<RunStepRecord, 'runUuid'> {
  return { stepUuid, title, filePath, position, status: 'pending', reason: null, exitCode: null, startedAt: null, finishedAt: null, durationMs: null, logFile };
}

function cancelled(): JobError {
  return new JobError('BERTH_JOB_CANCELLED', 'the run was cancelled');
}

function jobView(job: JobRecord, reveal: boolean): JobView {
  const { env, spec, ...rest } = job;
  const effective = applyParameters(spec, job.parameters);
  return {
    ...rest,
    env: Object.entries(env).map(([name, value]) => ({ name, ...(reveal ? { value } : {}) })),
    steps: orderSteps(spec).steps.map((s) => ({ uuid: s.uuid, title: s.title, filePath: s.file_path })),
    services: Object.values(spec.services ?? {})
      .filter((s) => s.scope.includes('noninteractive'))
      .map((s) => s.name),
    effectiveParameters: {
      pipeline: effective.parameters ?? {},
      steps: Object.fromEntries(Object.values(effective.steps).map((s) => [s.uuid, s.parameters])),
    },
  };
}

/** A pause between looks at the session that ends early on abort (no listener per run on the manager). */
function pause(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
