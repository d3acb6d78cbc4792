/** Jobs and runs as the API shows them (pure but for reading the session a run belongs to). */
import { sessionInfo, type SessionManager, type SessionView } from '../sessions/index.ts';
import { orderSteps } from './dag.ts';
import { applyParameters } from './parameters.ts';
import type { JobRecord, JobStore, RunRecord, RunStatus, RunStepRecord, StepStatus } from './store.ts';
import type { ServiceInfo } from '../api/index.ts';

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
  services: ServiceInfo[];
  sessionStatus: string | null;
}

export type JobEvent =
  | { type: 'run'; runUuid: string; status: RunStatus; reason?: string | null }
  | { type: 'step'; runUuid: string; stepUuid: string; status: StepStatus; reason?: string | null };

export function jobView(job: JobRecord, reveal: boolean): JobView {
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

export function runView(run: RunRecord, store: JobStore, sessions: SessionManager): RunView {
  const job = run.jobUuid ? store.getJob(run.jobUuid) : undefined;
  let session: SessionView | undefined;
  try {
    session = sessions.find(run.sessionUuid) ? sessions.get(run.sessionUuid) : undefined;
  } catch {
    session = undefined;
  }
  return {
    ...run,
    jobName: job?.name ?? null,
    steps: store.listSteps(run.uuid).map(({ runUuid: _r, ...step }) => step),
    // An interactive run does not own its session: its services are shown as they are now.
    services: session ? sessionInfo(session).services : [],
    sessionStatus: session?.status ?? null,
  };
}
