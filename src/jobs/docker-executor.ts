/**
 * The docker step executor: each step runs as a container from its environment's newest built
 * image, on the session network `berth-<session>` (so services resolve as `<name>-<session>` and
 * `<name>`), with Orchest's fixed paths: the project directory at /project-dir and the shared data
 * directory at /data. Steps carry the session's and the installation's labels, so the session
 * teardown and the recovery after a crash of Berth (both list by those labels) remove leftovers.
 */
import { statSync, type WriteStream } from 'node:fs';
import { createDemuxer, createDockerClient, engineStatus, networkName, type DockerClient } from '../runtime/index.ts';
import { toBerthError } from '../shared/index.ts';
import { containerStepLayout, prepareContainerStep, STEP_LABELS } from './container-step.ts';
import type { StepOutcome } from './dag.ts';
import { openStepLog, type StepExecution, type StepExecutor } from './executor.ts';

export { STEP_LABELS };

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

export interface StepContainerSpec {
  name: string;
  body: Record<string, unknown>;
  argv: string[];
}

/** The Engine API create body of a step (pure but for a stat of the project directory). */
export function stepContainerSpec(step: StepExecution, image: string, installationId: string, facts: EngineFacts): StepContainerSpec {
  const input = step.envInput;
  const { argv, workingDir, env, labels, mounts, name } = containerStepLayout(step, { apiUrl: containerApiUrl(input.apiUrl, facts.hostAlias), runtime: 'docker', installationId, image });
  const identity = projectOwner(step.cwd);
  if (identity && !('HOME' in input.userEnv)) env.HOME = '/tmp'; // jupyter and pip want a writable home
  const network = networkName(step.sessionUuid);
  const body: Record<string, unknown> = {
    Image: image,
    Cmd: argv,
    // The image's entrypoint would wrap (or replace) the step's command.
    Entrypoint: [],
    WorkingDir: workingDir,
    Env: Object.entries(env).map(([variable, value]) => `${variable}=${value}`),
    Labels: labels,
    ...(identity ? { User: identity } : {}),
    HostConfig: {
      Binds: mounts.map((m) => `${m.hostPath}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      NetworkMode: network,
      RestartPolicy: { Name: 'no' },
      Init: true,
      ...(facts.extraHosts.length ? { ExtraHosts: facts.extraHosts } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [network]: {} } },
  };
  return { name, body, argv };
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
  const { log, finish } = await openStepLog(step.logFile);
  const fail = (reason: string) => finish({ status: 'failed', exitCode: null, reason });
  const prepared = await prepareContainerStep(step, options.resolveImage, async (image) => stepContainerSpec(step, image, options.installationId, await factsPromise));
  if ('failure' in prepared) return finish(prepared.failure);
  const { spec } = prepared;
  const image = spec.body.Image as string;
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
