import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { JOB_CODES, type JobCode } from './codes.ts';

/** Errors of jobs and runs (and of the steps they execute): BERTH_JOB_* codes, declared with their words in ./codes.ts. */
export class JobError extends BerthError<JobCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof JOB_CODES>) {
    super(code, renderError(JOB_CODES[code], params), options);
  }
}
