/**
 * Steps on runtimes that run containers to completion themselves (`Runtime.runTask`; kubernetes:
 * a Pod per step): the same container layout as the docker executor (container-step.ts), with
 * Berth's own files (the Python SDK, the services file) handed over as file contents, since a pod
 * cannot mount Berth's directories.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime, TaskSpec } from '../runtime/index.ts';
import { toBerthError } from '../shared/index.ts';
import { CONTAINER_SDK_DIR, containerStepLayout, prepareContainerStep, type ContainerMount } from './container-step.ts';
import { openStepLog, type StepExecution, type StepExecutor } from './executor.ts';
import { PYTHON_SDK_DIR } from './step-env.ts';

export interface TaskStepExecutorOptions {
  runtime: Runtime;
  installationId: string;
  /** The newest built image of an environment (the pushed digest on kubernetes); throws when there is none. */
  resolveImage: (projectUuid: string, environmentUuid: string) => string;
  graceMs?: number;
}

export function createTaskStepExecutor(options: TaskStepExecutorOptions): StepExecutor {
  const { runtime } = options;
  // Berth's SDK does not change while it runs: read once, not for every step.
  let sdk: Promise<TaskFile[]> | undefined;
  const sdkFiles = () => (sdk ??= filesOf(PYTHON_SDK_DIR, CONTAINER_SDK_DIR));
  return {
    kind: runtime.kind,
    run: async function runTaskStep(step) {
      const { log, finish } = await openStepLog(step.logFile);
      const prepared = await prepareContainerStep(step, options.resolveImage, (image) => stepTask(step, image, runtime.kind, options.installationId, sdkFiles));
      if ('failure' in prepared) return finish(prepared.failure);
      const task = prepared.spec;
      if (!runtime.runTask) return finish({ status: 'failed', exitCode: null, reason: `the ${runtime.kind} runtime cannot run steps` });
      if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled' });
      log.write(`[berth] ${new Date().toISOString()} step "${step.title}" in ${task.image}: ${task.argv.join(' ')}\n`);
      // The runtime appends the pod's output to the same file; this stream only writes before and after.
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

/** The step as a runtime task: project and data mounts stay mounts; Berth's files travel as contents. */
async function stepTask(
  step: StepExecution,
  image: string,
  runtime: string,
  installationId: string,
  sdkFiles: () => Promise<TaskFile[]>,
): Promise<TaskSpec> {
  const layout = containerStepLayout(step, { apiUrl: step.envInput.apiUrl, runtime, installationId, image });
  const mounts = layout.mounts.filter((m): m is ContainerMount & { source: 'project' | 'data' } => m.source !== 'berth');
  const files: TaskFile[] = [];
  // The SDK, and the services file an interactive run writes.
  for (const mount of layout.mounts.filter((m) => m.source === 'berth')) {
    files.push(...(mount.hostPath === PYTHON_SDK_DIR ? await sdkFiles() : await filesOf(mount.hostPath, mount.target)));
  }
  return {
    name: layout.name,
    sessionUuid: step.sessionUuid,
    image,
    argv: layout.argv,
    workingDir: layout.workingDir,
    env: layout.env,
    mounts: mounts.map(({ source, hostPath, target, readOnly }) => ({ source, hostPath, target, readOnly })),
    files,
    labels: layout.labels,
  };
}

type TaskFile = TaskSpec['files'][number];

/** A file, or the files under a directory (the SDK's `orchest/*.py`), at their paths under `target`. */
async function filesOf(hostPath: string, target: string): Promise<TaskFile[]> {
  const entries = await readdir(hostPath, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [{ path: target, content: await readFile(hostPath, 'utf8') }];
  const nested = await Promise.all(
    entries.filter((e) => (e.isDirectory() && e.name !== '__pycache__' && e.name !== 'tests') || (e.isFile() && !e.name.endsWith('.pyc'))).map((e) => filesOf(join(hostPath, e.name), `${target}/${e.name}`)),
  );
  return nested.flat();
}
