import { BerthError } from '../shared/index.ts';
import type { JobCode } from './codes.ts';

/** Errors of jobs and runs (and of the steps they execute): BERTH_JOB_* codes, declared in ./codes.ts. */
export class JobError extends BerthError<JobCode> {}
