/**
 * What a step needs when it runs in a container (docker, kubernetes), whatever runs it: Orchest's
 * fixed paths (the project at /project-dir, the shared data at /data), the pipeline file and the
 * notebook output and the data-passing directory where the container sees them, the Python SDK and
 * the session's services file,
 * the command with the image's own interpreters, and the env rebuilt with those paths. Each
 * runtime turns `mounts` into its own volumes (binds, or claim subPaths and a ConfigMap).
 */
import { access } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative } from 'node:path';
import { EnvironmentError } from '../environments/index.ts';
import { LABELS } from '../plan/index.ts';
import { toBerthError } from '../shared/index.ts';
import type { StepOutcome } from './dag.ts';
import { JobError } from './errors.ts';
import type { StepExecution } from './executor.ts';
import { NOTEBOOK_RUNNER_FILE, stepCommand } from './step-command.ts';
import { PYTHON_SDK_DIR, stepEnv } from './step-env.ts';

/** Orchest's fixed paths inside a step container. */
export const CONTAINER_PROJECT_DIR = '/project-dir';
export const CONTAINER_DATA_DIR = '/data';
export const CONTAINER_SDK_DIR = '/berth/sdk/python';
const CONTAINER_PIPELINE_DIR = '/berth/pipeline';
const CONTAINER_NOTEBOOK_DIR = '/berth/notebooks';
const CONTAINER_SERVICES_FILE = '/berth/session-services.json';
const CONTAINER_TRANSFER_DIR = '/berth/transfer';

/** Labels of step containers besides the installation's and the session's. */
export const STEP_LABELS = { run: 'berth.run', step: 'berth.step' } as const;

export interface ContainerMount {
  /** `project`: the project or a run's files; `data`: the shared data directory; `berth`: Berth's own files (SDK, services). */
  source: 'project' | 'data' | 'berth';
  hostPath: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerStepLayout {
  argv: string[];
  /** The project directory as the container sees it. */
  workingDir: string;
  env: Record<string, string>;
  /** The installation's, session's and project's labels plus the run's and step's: teardown and recovery find steps by them. */
  labels: Record<string, string>;
  mounts: ContainerMount[];
  /** `berth-step-<run>-<step>`: a container or pod name, the same for a retry of the step. */
  name: string;
}

/** A host path inside `hostDir` as seen at `containerDir`, or undefined when it lies outside. */
function insideContainer(hostDir: string, containerDir: string, hostPath: string): string | undefined {
  const rel = relative(hostDir, hostPath);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel ? `${containerDir}/${rel.split('\\').join('/')}` : containerDir;
}

export function containerStepLayout(step: StepExecution, context: { apiUrl: string; runtime: string; installationId: string; image: string }): ContainerStepLayout {
  const input = step.envInput;
  const mounts: ContainerMount[] = [
    { source: 'project', hostPath: step.cwd, target: CONTAINER_PROJECT_DIR, readOnly: false },
    { source: 'data', hostPath: input.dataDir, target: CONTAINER_DATA_DIR, readOnly: false },
    { source: 'berth', hostPath: PYTHON_SDK_DIR, target: CONTAINER_SDK_DIR, readOnly: true },
  ];
  let pipelinePath = insideContainer(step.cwd, CONTAINER_PROJECT_DIR, input.pipelinePath);
  if (!pipelinePath) {
    // The run's pipeline file lives outside the project directory: mount its directory read-only.
    mounts.push({ source: 'project', hostPath: dirname(input.pipelinePath), target: CONTAINER_PIPELINE_DIR, readOnly: true });
    pipelinePath = `${CONTAINER_PIPELINE_DIR}/${basename(input.pipelinePath)}`;
  }
  let notebookOutputDir: string | undefined;
  if (step.notebookOutputDir) {
    notebookOutputDir = insideContainer(step.cwd, CONTAINER_PROJECT_DIR, step.notebookOutputDir);
    if (!notebookOutputDir) {
      mounts.push({ source: 'project', hostPath: step.notebookOutputDir, target: CONTAINER_NOTEBOOK_DIR, readOnly: false });
      notebookOutputDir = CONTAINER_NOTEBOOK_DIR;
    }
  }
  // orchest.output / get_inputs: the run's (or session's) directory, writable, beside the project.
  let transferDir = insideContainer(step.cwd, CONTAINER_PROJECT_DIR, input.transferDir);
  if (!transferDir) {
    mounts.push({ source: 'project', hostPath: input.transferDir, target: CONTAINER_TRANSFER_DIR, readOnly: false });
    transferDir = CONTAINER_TRANSFER_DIR;
  }
  if (input.servicesFile) mounts.push({ source: 'berth', hostPath: input.servicesFile, target: CONTAINER_SERVICES_FILE, readOnly: true });
  if (['.ts', '.mts'].includes(extname(step.filePath))) {
    throw new JobError('BERTH_JOB_STEP_FILE_TYPE', { step: step.title, filePath: step.filePath });
  }
  // The image's python runs notebooks (the host's Debian python is not in the container), with the
  // runner from the SDK mount; a missing kernel is reported as the image's.
  const argv = stepCommand(step.filePath, {
    notebookPython: 'python3',
    notebookRunner: `${CONTAINER_SDK_DIR}/${NOTEBOOK_RUNNER_FILE}`,
    notebookWhere: `the image ${context.image}`,
    ...(notebookOutputDir ? { notebookOutputDir } : {}),
  });
  if (argv[0] === process.execPath) argv[0] = 'node';
  const env = stepEnv({
    ...input,
    // The host's PATH, HOME, … belong to the host: the image brings its own.
    host: {},
    projectDir: CONTAINER_PROJECT_DIR,
    dataDir: CONTAINER_DATA_DIR,
    pipelinePath,
    transferDir,
    apiUrl: context.apiUrl,
    runtime: context.runtime,
    ...(input.servicesFile ? { servicesFile: CONTAINER_SERVICES_FILE } : {}),
  });
  env.PYTHONPATH = [CONTAINER_SDK_DIR, input.userEnv.PYTHONPATH].filter(Boolean).join(':');
  // The TypeScript SDK is a host path run through Berth's own Node: not available in an image.
  delete env.BERTH_SDK_TS;
  const labels = {
    [LABELS.installation]: context.installationId,
    [LABELS.session]: step.sessionUuid,
    [LABELS.project]: step.projectUuid,
    [STEP_LABELS.run]: input.runUuid,
    [STEP_LABELS.step]: step.stepUuid,
  };
  return { argv, workingDir: CONTAINER_PROJECT_DIR, env, labels, mounts, name: `berth-step-${input.runUuid.slice(0, 12)}-${step.stepUuid.slice(0, 12)}`.toLowerCase() };
}

/**
 * The checks before any container runtime runs a step: the file exists, the step has a built
 * environment, and `make` (the runtime's container spec from the image) succeeds. A failed check
 * is the step's outcome, with the fix.
 */
export async function prepareContainerStep<T>(
  step: StepExecution,
  resolveImage: (projectUuid: string, environmentUuid: string) => string,
  make: (image: string) => T | Promise<T>,
): Promise<{ spec: T } | { failure: StepOutcome }> {
  const fail = (reason: string): { failure: StepOutcome } => ({ failure: { status: 'failed', exitCode: null, reason } });
  try {
    await access(join(step.cwd, step.filePath));
  } catch {
    return fail(`step file ${step.filePath} does not exist in ${step.cwd}`);
  }
  let image: string;
  try {
    image = resolveStepImage(resolveImage, step);
  } catch (error) {
    const berthError = toBerthError(error);
    return fail(berthError.hint ? `${berthError.message} (${berthError.hint})` : berthError.message);
  }
  try {
    return { spec: await make(image) };
  } catch (error) {
    const berthError = toBerthError(error);
    // Job errors name the step already; the runtime's (an engine without an answer) do not.
    const message = error instanceof JobError ? berthError.message : `cannot run step "${step.title}": ${berthError.message}`;
    return fail(berthError.hint ? `${message} (${berthError.hint})` : message);
  }
}

function resolveStepImage(resolveImage: (projectUuid: string, environmentUuid: string) => string, step: StepExecution): string {
  if (!step.environment) {
    throw new JobError('BERTH_JOB_STEP_NO_ENVIRONMENT', { step: step.title, projectUuid: step.projectUuid });
  }
  try {
    return resolveImage(step.projectUuid, step.environment);
  } catch (cause) {
    // The environment's own code (one cause, one code), said for the step that needs it; any other failure stays as it is.
    if (!(cause instanceof EnvironmentError) || cause.code !== 'BERTH_ENV_NOT_BUILT') throw cause;
    throw new EnvironmentError(
      'BERTH_ENV_NOT_BUILT',
      { step: step.title, projectUuid: step.projectUuid, environmentUuid: step.environment },
      { cause, details: { step: step.stepUuid, environment: step.environment } },
    );
  }
}
