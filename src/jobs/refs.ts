/** Jobs, runs and projects named by the user (name, uuid or uuid prefix): one match, or an error with the fix. */
import type { CoreStore, ProjectRecord } from '../store/index.ts';
import { JobError } from './errors.ts';
import type { JobRecord, JobStore, RunRecord } from './store.ts';

export function requireJob(store: JobStore, ref: string): JobRecord {
  const matches = store.findJob(ref);
  if (matches.length === 1) return matches[0]!;
  const known = store.listJobs().map((j) => `${j.name} (${j.uuid.slice(0, 8)})`);
  throw new JobError(
    matches.length === 0 ? 'BERTH_JOB_NOT_FOUND' : 'BERTH_JOB_REF_INVALID',
    matches.length === 0 ? `no job "${ref}"` : `${matches.length} jobs match "${ref}"`,
    { hint: known.length ? `name it by uuid; jobs: ${known.join(', ')}` : 'create one with `berth job create PROJECT PIPELINE`' },
  );
}

export function requireRun(store: JobStore, ref: string): RunRecord {
  const matches = store.findRuns(ref);
  if (matches.length === 1) return matches[0]!;
  throw new JobError(
    matches.length === 0 ? 'BERTH_JOB_RUN_NOT_FOUND' : 'BERTH_JOB_RUN_REF_INVALID',
    matches.length === 0 ? `no run "${ref}"` : `${matches.length} runs start with "${ref}"`,
    { hint: matches.length === 0 ? 'list runs with `berth run list`' : 'give more of the run uuid' },
  );
}

export function requireProject(store: CoreStore, projectUuid: string): ProjectRecord {
  const project = store.findProject(projectUuid);
  if (!project) {
    throw new JobError('BERTH_JOB_PROJECT_NOT_FOUND', `project ${projectUuid} of this job is no longer registered`, {
      hint: 'register the project directory again with `berth project add DIR`',
    });
  }
  return project;
}
