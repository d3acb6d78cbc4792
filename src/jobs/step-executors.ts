/**
 * Which executor runs a run's steps: host processes on the local runtime; everywhere else the
 * runtime runs each step as a container to completion (`Runtime.runTask`: a container on the
 * session network on docker, a Pod on kubernetes) from the step's environment image.
 */
import { JobError } from './errors.ts';
import { createLocalStepExecutor, type StepExecutor } from './executor.ts';
import type { JobsOptions } from './jobs.ts';
import { createTaskStepExecutor } from './task-executor.ts';

export function chooseStepExecutor(options: JobsOptions): StepExecutor {
  const runtime = options.sessions.runtime;
  const graceMs = options.graceMs ?? 5_000;
  if (runtime.kind === 'local') {
    return createLocalStepExecutor({ graceMs, ...(runtime.sessionEnterArgv ? { enter: (sid, enterOptions) => runtime.sessionEnterArgv!(sid, enterOptions) } : {}) });
  }
  const environmentImage = (projectUuid: string, environmentUuid: string): string => {
    if (!options.resolveEnvironmentImage) {
      throw new JobError('BERTH_JOB_NO_ENVIRONMENTS', { runtime: runtime.kind });
    }
    return options.resolveEnvironmentImage(projectUuid, environmentUuid);
  };
  return createTaskStepExecutor({ runtime, installationId: options.store.installationId(), resolveImage: environmentImage, graceMs });
}
