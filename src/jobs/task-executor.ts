/**
 * Steps on container runtimes: the runtime runs each step's container to completion
 * (`Runtime.runTask`; docker: a container on the session network, kubernetes: a Pod). This
 * executor only lays the step out (container-step.ts: paths, env, labels, command) and reads the
 * result; Berth's own files (the Python SDK, the services file) are named as host files, which
 * each runtime mounts or ships as it can.
 */
import type { Runtime, TaskSpec } from '../runtime/index.ts';
import { toBerthError } from '../shared/index.ts';
import { containerStepLayout, prepareContainerStep, type ContainerMount } from './container-step.ts';
import { openStepLog, type StepExecution, type StepExecutor } from './executor.ts';

export interface TaskStepExecutorOptions {
  runtime: Runtime;
  installationId: string;
  /** The newest built image of an environment (the pushed digest on kubernetes); throws when there is none. */
  resolveImage: (projectUuid: string, environmentUuid: string) => string;
  graceMs?: number;
}

export function createTaskStepExecutor(options: TaskStepExecutorOptions): StepExecutor {
  const { runtime } = options;
  return {
    kind: runtime.kind,
    run: async function runTaskStep(step) {
      const { log, finish } = await openStepLog(step.logFile);
      const prepared = await prepareContainerStep(step, options.resolveImage, (image) => stepTask(step, image, runtime.kind, options.installationId));
      if ('failure' in prepared) return finish(prepared.failure);
      const task = prepared.spec;
      if (!runtime.runTask) return finish({ status: 'failed', exitCode: null, reason: `the ${runtime.kind} runtime cannot run steps` });
      if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled' });
      log.write(`[berth] ${new Date().toISOString()} step "${step.title}" in ${task.image}: ${task.argv.join(' ')}\n`);
      // The runtime appends the container's output to the same file; this stream only writes before and after.
      await new Promise<void>((resolve) => log.write('', () => resolve()));
      const result = await runtime
        .runTask(task, { logFile: step.logFile, signal: step.signal, ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }) })
        .catch((error: unknown) => ({ exitCode: null, reason: toBerthError(error).message }) as const);
      if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: result.exitCode, reason: 'cancelled: the run was cancelled while the step ran' });
      if (result.exitCode === 0) return finish({ status: 'succeeded', exitCode: 0 });
      if (result.exitCode === null) return finish({ status: 'failed', exitCode: null, reason: `cannot run step "${step.title}": ${result.reason}` });
      const why = result.reason === 'OOMKilled' ? ' (killed for lack of memory)' : result.reason ? ` (${result.reason})` : '';
      return finish({ status: 'failed', exitCode: result.exitCode, reason: `step "${step.title}" exited with code ${result.exitCode}${why}` });
    },
  };
}

/** The step as a runtime task: project and data mounts stay mounts; Berth's files are host files. */
export function stepTask(step: StepExecution, image: string, runtime: string, installationId: string): TaskSpec {
  const layout = containerStepLayout(step, { apiUrl: step.envInput.apiUrl, runtime, installationId, image });
  const mounts = layout.mounts.filter((m): m is ContainerMount & { source: 'project' | 'data' } => m.source !== 'berth');
  return {
    name: layout.name,
    sessionUuid: step.sessionUuid,
    image,
    argv: layout.argv,
    workingDir: layout.workingDir,
    env: layout.env,
    mounts: mounts.map(({ source, hostPath, target, readOnly }) => ({ source, hostPath, target, readOnly })),
    files: [],
    hostFiles: layout.mounts.filter((m) => m.source === 'berth').map(({ hostPath, target }) => ({ hostPath, target })),
    // Berth's API URL (BERTH_API_URL, and any variable of the user's that repeats it): the runtime says how a container reaches the host.
    hostUrlEnv: Object.keys(layout.env).filter((name) => layout.env[name] === step.envInput.apiUrl),
    labels: layout.labels,
  };
}
