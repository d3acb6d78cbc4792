import { BerthError } from '../shared/index.ts';

/** Errors of jobs and runs (and of the steps they execute): BERTH_JOB_* codes. */
export class JobError extends BerthError {}
