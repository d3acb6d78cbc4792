/**
 * The docker step executor: each step runs as a container from its environment's newest built
 * image, on the session network `berth-<session>` (so services resolve as `<name>-<session>` and
 * `<name>`), with Orchest's fixed paths: the project directory at /project-dir and the shared data
 * directory at /data. Steps carry the session's and the installation's labels, so the session
 * teardown and the recovery after a crash of Berth (both list by those labels) remove leftovers.
 */
import { once } from 'node:events';
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative } from 'node:path';
import { LABELS } from '../plan/types.ts';
import { createDemuxer, createDockerClient, engineStatus, networkName, type DockerClient } from '../runtime/docker/index.ts';
import { toBerthError } from '../shared/index.ts';
import type { StepOutcome } from './dag.ts';
import { JobError } from './errors.ts';
import type { StepExecution, StepExecutor } from './executor.ts';
import { stepCommand } from './step-command.ts';
import { PYTHON_SDK_DIR, stepEnv } from './step-env.ts';

/** Orchest's fixed paths inside a step container. */
export const CONTAINER_PROJECT_DIR = '/project-dir';
export const CONTAINER_DATA_DIR = '/data';
export const CONTAINER_SDK_DIR = '/berth/sdk/python';
const CONTAINER_PIPELINE_DIR = '/berth/pipeline';
const CONTAINER_NOTEBOOK_DIR = '/berth/notebooks';
const CONTAINER_SERVICES_FILE = '/berth/session-services.json';

/** Labels of step containers besides the installation's and the session's. */
export const STEP_LABELS = { run: 'berth.run', step: 'berth.step' } as const;

export interface DockerStepExecutorOptions {
  /** Unix socket of the engine the session's services run on (Docker or Podman). */
  socketPath: string;
  installationId: string;
  /** The newest built image of an environment; throws when there is none. */
  resolveImage: (projectUuid: string, environmentUuid: string) => string;
  /** Stop grace for cancelled steps before the engine kills them. */
  graceMs?: number;
}

export interface EngineFacts {
  /** Host name under which the host is reachable from a container. */
  hostAlias: string;
  /** Extra /etc/hosts entries the container needs for that name. */
  extraHosts: string[];
}

export function createDockerStepExecutor(options: DockerStepExecutorOptions): StepExecutor {
  const client = createDockerClient(options.socketPath);
  let facts: Promise<EngineFacts> | undefined;
  return {
    kind: 'docker',
    run: function runDockerStep(step) {
      facts ??= engineFacts(client).catch((error: unknown) => {
        facts = undefined; // ask again next time: the engine may have been restarted
        throw error;
      });
      return runStepContainer(client, options, facts, step);
    },
  };
}

/**
 * Podman adds `host.containers.internal` to every container itself; Docker (20.10+) needs the
 * `host-gateway` extra host for `host.docker.internal`.
 */
async function engineFacts(client: DockerClient): Promise<EngineFacts> {
  const version = await client.json<{ Components?: { Name?: string }[] }>('GET', '/version', { timeoutMs: 10_000 });
  const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name ?? ''));
  return podman ? { hostAlias: 'host.containers.internal', extraHosts: [] } : { hostAlias: 'host.docker.internal', extraHosts: ['host.docker.internal:host-gateway'] };
}

/** `http://127.0.0.1:PORT` as a container sees it: the host's loopback is the host alias. */
export function containerApiUrl(apiUrl: string, hostAlias: string): string {
  try {
    const url = new URL(apiUrl);
    if (['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(url.hostname)) url.hostname = hostAlias;
    return url.toString().replace(/\/$/, '');
  } catch {
    return apiUrl;
  }
}

/** A host path inside `hostDir` as seen at `containerDir`, or undefined when it lies outside. */
function insideContainer(hostDir: string, containerDir: string, hostPath: string): string | undefined {
  const rel = relative(hostDir, hostPath);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel ? `${containerDir}/${rel.split('\\').join('/')}` : containerDir;
}

export interface StepContainerSpec {
  name: string;
  body: Record<string, unknown>;
  argv: string[];
}

/** The Engine API create body of a step (pure but for a stat of the project directory). */
export function stepContainerSpec(step: StepExecution, image: string, installationId: string, facts: EngineFacts): StepContainerSpec {
  const input = step.envInput;
  const binds = [`${step.cwd}:${CONTAINER_PROJECT_DIR}:rw`, `${input.dataDir}:${CONTAINER_DATA_DIR}:rw`, `${PYTHON_SDK_DIR}:${CONTAINER_SDK_DIR}:ro`];
  let pipelinePath = insideContainer(step.cwd, CONTAINER_PROJECT_DIR, input.pipelinePath);
  if (!pipelinePath) {
    // The run's pipeline file lives outside the project directory: mount its directory read-only.
    binds.push(`${dirname(input.pipelinePath)}:${CONTAINER_PIPELINE_DIR}:ro`);
    pipelinePath = `${CONTAINER_PIPELINE_DIR}/${basename(input.pipelinePath)}`;
  }
  let notebookOutputDir: string | undefined;
  if (step.notebookOutputDir) {
    notebookOutputDir = insideContainer(step.cwd, CONTAINER_PROJECT_DIR, step.notebookOutputDir);
    if (!notebookOutputDir) {
      binds.push(`${step.notebookOutputDir}:${CONTAINER_NOTEBOOK_DIR}:rw`);
      notebookOutputDir = CONTAINER_NOTEBOOK_DIR;
    }
  }
  if (input.servicesFile) binds.push(`${input.servicesFile}:${CONTAINER_SERVICES_FILE}:ro`);
  if (['.ts', '.mts'].includes(extname(step.filePath))) {
    throw new JobError('BERTH_JOB_STEP_FILE_TYPE', `step "${step.title}" (${step.filePath}) is TypeScript: TypeScript steps run through Berth's own Node and tsx, which a step container does not have`, {
      hint: 'compile the step to .mjs (it runs with the image\'s node), or run the pipeline on the local runtime',
    });
  }
  // The image's python runs notebooks (the host's Debian python is not in the container).
  const argv = stepCommand(step.filePath, { notebookPython: 'python3', ...(notebookOutputDir ? { notebookOutputDir } : {}) });
  if (argv[0] === process.execPath) argv[0] = 'node';
  const env = stepEnv({
    ...input,
    // The host's PATH, HOME, … belong to the host: the image brings its own.
    host: {},
    projectDir: CONTAINER_PROJECT_DIR,
    dataDir: CONTAINER_DATA_DIR,
    pipelinePath,
    apiUrl: containerApiUrl(input.apiUrl, facts.hostAlias),
    runtime: 'docker',
    ...(input.servicesFile ? { servicesFile: CONTAINER_SERVICES_FILE } : {}),
  });
  env.PYTHONPATH = [CONTAINER_SDK_DIR, input.userEnv.PYTHONPATH].filter(Boolean).join(':');
  // The TypeScript SDK is a host path run through Berth's own Node: not available in an image.
  delete env.BERTH_SDK_TS;
  const identity = projectOwner(step.cwd);
  if (identity && !('HOME' in input.userEnv)) env.HOME = '/tmp'; // jupyter and pip want a writable home
  const network = networkName(step.sessionUuid);
  const body: Record<string, unknown> = {
    Image: image,
    Cmd: argv,
    // The image's entrypoint would wrap (or replace) the step's command.
    Entrypoint: [],
    WorkingDir: CONTAINER_PROJECT_DIR,
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    Labels: {
      [LABELS.installation]: installationId,
      [LABELS.session]: step.sessionUuid,
      [LABELS.project]: step.projectUuid,
      [STEP_LABELS.run]: input.runUuid,
      [STEP_LABELS.step]: step.stepUuid,
    },
    ...(identity ? { User: identity } : {}),
    HostConfig: {
      Binds: binds,
      NetworkMode: network,
      RestartPolicy: { Name: 'no' },
      Init: true,
      ...(facts.extraHosts.length ? { ExtraHosts: facts.extraHosts } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [network]: {} } },
  };
  return { name: `berth-step-${input.runUuid.slice(0, 12)}-${step.stepUuid.slice(0, 12)}`, body, argv };
}

/** As services do: files a step writes into the project belong to the directory's owner. */
function projectOwner(dir: string): string | undefined {
  try {
    const { uid, gid } = statSync(dir);
    return uid === 0 ? undefined : `${uid}:${gid}`;
  } catch {
    return undefined;
  }
}

async function runStepContainer(client: DockerClient, options: DockerStepExecutorOptions, factsPromise: Promise<EngineFacts>, step: StepExecution): Promise<StepOutcome> {
  await mkdir(dirname(step.logFile), { recursive: true });
  const log = createWriteStream(step.logFile, { flags: 'a' });
  const finish = async (outcome: StepOutcome): Promise<StepOutcome> => {
    if (outcome.status !== 'succeeded' && outcome.reason) log.write(`\n[berth] ${outcome.reason}\n`);
    log.end();
    await once(log, 'close').catch(() => undefined);
    return outcome;
  };
  const fail = (reason: string) => finish({ status: 'failed', exitCode: null, reason });
  try {
    await access(join(step.cwd, step.filePath));
  } catch {
    return fail(`step file ${step.filePath} does not exist in ${step.cwd}`);
  }
  let image: string;
  try {
    image = resolveStepImage(options, step);
  } catch (error) {
    const berthError = toBerthError(error);
    return fail(berthError.hint ? `${berthError.message} (${berthError.hint})` : berthError.message);
  }
  let spec: StepContainerSpec;
  let facts: EngineFacts;
  try {
    facts = await factsPromise;
    spec = stepContainerSpec(step, image, options.installationId, facts);
  } catch (error) {
    const berthError = toBerthError(error);
    // Job errors name the step already; the engine's (no answer to /version) do not.
    const message = error instanceof JobError ? berthError.message : `cannot run step "${step.title}": ${berthError.message}`;
    return fail(berthError.hint ? `${message} (${berthError.hint})` : message);
  }
  if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled' });
  log.write(`[berth] ${new Date().toISOString()} step "${step.title}" in ${image}: ${spec.argv.join(' ')}\n`);
  let id: string | undefined;
  try {
    // A leftover of an earlier attempt with this name (same run and step) is ours to replace.
    await removeContainer(client, spec.name);
    ({ Id: id } = await client.json<{ Id: string }>('POST', '/containers/create', { query: { name: spec.name }, body: spec.body, timeoutMs: 60_000 }));
    return await superviseContainer(client, options, step, id, log, finish);
  } catch (error) {
    if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: null, reason: 'cancelled: the run was cancelled while the step ran' });
    const berthError = toBerthError(error);
    const engineMessage = (berthError.details as { engineMessage?: string } | undefined)?.engineMessage;
    return fail(`cannot run step "${step.title}" as a container from ${image}: ${engineMessage ?? berthError.message}`);
  } finally {
    // Always: a finished, failed or cancelled step leaves no container behind.
    await removeContainer(client, id ?? spec.name).catch(() => undefined);
  }
}

function resolveStepImage(options: DockerStepExecutorOptions, step: StepExecution): string {
  if (!step.environment) {
    throw new JobError('BERTH_JOB_STEP_NO_ENVIRONMENT', `step "${step.title}" has no environment: on the docker runtime each step runs in its environment's image`, {
      hint: `set the step's "environment" in the pipeline file to an environment uuid (\`berth env-image list ${step.projectUuid}\`) and build it with \`berth env-image build\``,
    });
  }
  try {
    return options.resolveImage(step.projectUuid, step.environment);
  } catch (cause) {
    throw new JobError(
      'BERTH_JOB_STEP_ENVIRONMENT_NOT_BUILT',
      `step "${step.title}" cannot run: its environment ${step.environment} has no built image`,
      { cause, hint: `build it with \`berth env-image build ${step.projectUuid} ${step.environment}\` and run again`, details: { step: step.stepUuid, environment: step.environment } },
    );
  }
}

async function superviseContainer(
  client: DockerClient,
  options: DockerStepExecutorOptions,
  step: StepExecution,
  id: string,
  log: WriteStream,
  finish: (outcome: StepOutcome) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const graceSeconds = Math.max(0, Math.ceil((options.graceMs ?? 5_000) / 1000));
  const stop = () => {
    void client.json('POST', `/containers/${id}/stop`, { query: { t: graceSeconds } }).catch(() => undefined);
  };
  step.signal.addEventListener('abort', stop, { once: true });
  try {
    await client.json('POST', `/containers/${id}/start`, { timeoutMs: 60_000 });
    if (step.signal.aborted) stop();
    // The log stream starts at the container's first line, even when it has already exited.
    const logs = await client.stream('GET', `/containers/${id}/logs`, { query: { follow: 1, stdout: 1, stderr: 1 } });
    const demuxer = createDemuxer((frame) => log.write(frame.payload));
    const copied = (async () => {
      try {
        for await (const chunk of logs) demuxer.push(chunk as Buffer);
      } catch {
        // the container went away under the stream: what arrived is written
      }
    })();
    const waited = await client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${id}/wait`);
    // The stream ends with the container; a little slack for the last frames, never a hang.
    await Promise.race([copied, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    logs.destroy();
    const exitCode = waited.StatusCode;
    if (step.signal.aborted) return finish({ status: 'cancelled', exitCode, reason: 'cancelled: the run was cancelled while the step ran' });
    if (exitCode === 0) return finish({ status: 'succeeded', exitCode: 0 });
    const inspected = await client.json<{ State?: { OOMKilled?: boolean } }>('GET', `/containers/${id}/json`).catch(() => undefined);
    const why = inspected?.State?.OOMKilled ? ' (killed for lack of memory)' : exitCode === 137 ? ' (killed)' : '';
    return finish({ status: 'failed', exitCode, reason: `step "${step.title}" exited with code ${exitCode}${why}` });
  } finally {
    step.signal.removeEventListener('abort', stop);
  }
}

async function removeContainer(client: DockerClient, ref: string): Promise<void> {
  try {
    await client.json('DELETE', `/containers/${encodeURIComponent(ref)}`, { query: { force: 1, v: 1 }, timeoutMs: 60_000 });
  } catch (error) {
    const status = engineStatus(error);
    if (status === 404 || status === 409) return; // gone, or already being removed
    throw error;
  }
}
