/** @module jobs: jobs (pipeline snapshots), their runs, interactive step runs and step execution. */
export {
  Jobs,
  type JobsOptions,
  type CreateJobInput,
  type JobView,
  type RunView,
  type StepView,
  type JobEvent,
} from './jobs.ts';
export {
  jobMigrations,
  JobStore,
  FINISHED_RUN_STATUSES,
  type JobParameters,
  type JobRecord,
  type RunRecord,
  type RunStatus,
  type RunStepRecord,
  type StepStatus,
} from './store.ts';
export { parseParameterAssignments, parseEnvAssignments, applyParameters, checkParameters, emptyParameters } from './parameters.ts';
export { orderSteps, walkDag, type DagStep, type StepOutcome } from './dag.ts';
export { createLocalStepExecutor, type StepExecutor, type StepExecution } from './executor.ts';
export { createTaskStepExecutor, stepTask, type TaskStepExecutorOptions } from './task-executor.ts';
export { STEP_LABELS } from './container-step.ts';
export { stepCommand, defaultNotebookPython, STEP_FILE_TYPES } from './step-command.ts';
export { stepEnv, PYTHON_SDK_DIR } from './step-env.ts';
export { JobError } from './errors.ts';
export { JOB_CODES, type JobCode } from './codes.ts';
export { stepProcesses, killStepProcesses, RUN_MARKER } from './orphans.ts';
