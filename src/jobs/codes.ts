/** The jobs layer's codes (BERTH_JOB_*: jobs, runs and the steps they execute), each declared once with its status and cause. */
import type { ErrorCatalogue } from '../shared/index.ts';

export const JOB_CODES = {
  BERTH_JOB_NOT_FOUND: { status: 404, summary: 'no job has this name or uuid (prefix)' },
  BERTH_JOB_RUN_NOT_FOUND: { status: 404, summary: 'no run has this uuid (prefix)' },
  BERTH_JOB_STEP_NOT_FOUND: { status: 404, summary: 'the pipeline or run has no step with this title or uuid' },
  BERTH_JOB_PROJECT_NOT_FOUND: { status: 404, summary: "the job's project is no longer registered" },
  BERTH_JOB_REF_INVALID: { status: 422, summary: 'a job reference matches more than one job' },
  BERTH_JOB_RUN_REF_INVALID: { status: 422, summary: 'a run reference matches more than one run' },
  BERTH_JOB_STEP_REF_INVALID: { status: 422, summary: 'a step reference matches more than one step' },
  BERTH_JOB_PARAM_INVALID: { status: 422, summary: 'a parameter assignment is not KEY=VALUE (with a JSON value)' },
  BERTH_JOB_PARAM_INVALID_NAME: { status: 422, summary: 'a parameter names a step or parameter the pipeline does not have' },
  BERTH_JOB_ENV_INVALID: { status: 422, summary: "a job's env var assignment or name is not valid" },
  BERTH_JOB_DAG_INVALID: { status: 422, summary: "the pipeline's steps connect to an unknown step or form a cycle" },
  BERTH_JOB_NEEDS_STEPS: { status: 422, summary: 'the pipeline has no steps to run' },
  BERTH_JOB_STEP_FILE_TYPE: { status: 422, summary: "a step's file has a type this runtime cannot run" },
  BERTH_JOB_STEP_NO_ENVIRONMENT: { status: 422, summary: 'a step on a container runtime has no environment to take its image from' },
  BERTH_JOB_RUN_STILL_ACTIVE: { status: 409, summary: 'the job still has runs going, so it cannot be deleted' },
  BERTH_JOB_RUN_NOT_RUNNING: { status: 409, summary: 'the run has already ended' },
  BERTH_JOB_SESSION_NOT_RUNNING: { status: 409, summary: 'no interactive session of the pipeline is running to run its steps in' },
  BERTH_JOB_CANCELLED: { status: 409, summary: 'the run was cancelled' },
  BERTH_JOB_SERVICES_FAILED: { status: 502, summary: "a service of the run's session failed to start, so the steps did not run" },
  BERTH_JOB_SERVICES_TIMEOUT: { status: 504, summary: "the run's services were not ready within the deadline" },
  BERTH_JOB_NO_ENVIRONMENTS: { status: 500, summary: 'steps on a container runtime need environment images and Jobs was built without a way to look them up (a wiring bug)' },
} as const satisfies ErrorCatalogue;

export type JobCode = keyof typeof JOB_CODES;
