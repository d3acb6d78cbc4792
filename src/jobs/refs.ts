/** Jobs, runs and projects named by the user (name, uuid or uuid prefix): one match, or an error with the fix. */
import type { CoreStore, ProjectRecord } from '../store/index.ts';
import { JobError } from './errors.ts';
import type { JobRecord, JobStore, RunRecord } from './store.ts';

export function requireJob(store: JobStore, ref: string): JobRecord {
  const matches = store.findJob(ref);
  if (matches.length === 1) return matches[0]!;
  const jobs = store.listJobs().map((j) => `${j.name} (${j.uuid.slice(0, 8)})`);
  if (matches.length === 0) throw new JobError('BERTH_JOB_NOT_FOUND', { ref, jobs });
  throw new JobError('BERTH_JOB_REF_INVALID', { ref, count: matches.length, jobs });
}

export function requireRun(store: JobStore, ref: string): RunRecord {
  const matches = store.findRuns(ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new JobError('BERTH_JOB_RUN_NOT_FOUND', { ref });
  throw new JobError('BERTH_JOB_RUN_REF_INVALID', { ref, count: matches.length });
}

export function requireProject(store: CoreStore, projectUuid: string): ProjectRecord {
  const project = store.findProject(projectUuid);
  if (!project) {
    throw new JobError('BERTH_JOB_PROJECT_NOT_FOUND', { projectUuid });
  }
  return project;
}
