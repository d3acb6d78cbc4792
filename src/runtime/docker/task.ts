/**
 * Tasks (job steps) on Docker: one container per task, run to its end on the session network
 * `berth-<session>` (so services resolve as `<name>-<session>` and `<name>`), from the task's
 * image with its entrypoint replaced by the task's argv and an init process so signals reach it.
 * The engine shares Berth's filesystem, so the project and data directories and Berth's own files
 * (`hostFiles`) are binds; files made for the task are written to a directory of its own and bound
 * read-only. The container's output is appended to the task's log; the container is removed when
 * the task ends, fails to start or is cancelled.
 */
import { once } from 'node:events';
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LABELS } from '../../plan/index.ts';
import { toBerthError } from '../../shared/index.ts';
import type { TaskOptions, TaskResult, TaskSpec } from '../types.ts';
import { engineStatus, type DockerClient } from './client.ts';
import { networkName } from './container-spec.ts';
import { createDemuxer } from './streams.ts';

export interface EngineFacts {
  /** Host name under which the host is reachable from a container. */
  hostAlias: string;
  /** Extra /etc/hosts entries the container needs for that name. */
  extraHosts: string[];
}

/**
 * Podman adds `host.containers.internal` to every container itself; Docker (20.10+) needs the
 * `host-gateway` extra host for `host.docker.internal`.
 */
export async function engineFacts(client: DockerClient): Promise<EngineFacts> {
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

/** The Engine API create body of a task (pure but for a stat of the project directory). `filesDir`: where its `files` were written. */
export function taskContainerBody(task: TaskSpec, installationId: string, facts: EngineFacts, filesDir?: string): Record<string, unknown> {
  const env = { ...task.env };
  for (const name of task.hostUrlEnv ?? []) if (env[name] !== undefined) env[name] = containerApiUrl(env[name], facts.hostAlias);
  const project = task.mounts.find((m) => m.source === 'project');
  const identity = project ? directoryOwner(project.hostPath) : undefined;
  if (identity && !('HOME' in env)) env.HOME = '/tmp'; // jupyter and pip want a writable home
  const network = networkName(task.sessionUuid);
  const binds = [
    ...task.mounts.map((m) => `${m.hostPath}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
    ...(task.hostFiles ?? []).map((f) => `${f.hostPath}:${f.target}:ro`),
    ...(filesDir ? task.files.map((f, index) => `${join(filesDir, `f${index}`)}:${f.path}:ro`) : []),
  ];
  return {
    Image: task.image,
    Cmd: task.argv,
    // The image's entrypoint would wrap (or replace) the task's command.
    Entrypoint: [],
    WorkingDir: task.workingDir,
    Env: Object.entries(env).map(([variable, value]) => `${variable}=${value}`),
    Labels: { ...task.labels, [LABELS.installation]: installationId, [LABELS.session]: task.sessionUuid },
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
}

/** As services do: files a task writes into the project belong to the directory's owner. */
function directoryOwner(dir: string): string | undefined {
  try {
    const { uid, gid } = statSync(dir);
    return uid === 0 ? undefined : `${uid}:${gid}`;
  } catch {
    return undefined;
  }
}

export interface TaskContainerOptions {
  installationId: string;
  /** Asked once per runtime (and again after a failure): what the engine is. */
  facts: () => Promise<EngineFacts>;
  /** Stop grace of a cancelled task when the task options give none. */
  graceMs: number;
}

/** Runs the task's container to its end; see the module comment. */
export async function runTaskContainer(client: DockerClient, task: TaskSpec, options: TaskContainerOptions, run: TaskOptions): Promise<TaskResult> {
  await mkdir(dirname(run.logFile), { recursive: true });
  const log = createWriteStream(run.logFile, { flags: 'a' });
  let filesDir: string | undefined;
  let id: string | undefined;
  try {
    if (task.files.length) filesDir = await writeTaskFiles(task);
    const body = taskContainerBody(task, options.installationId, await options.facts(), filesDir);
    // A leftover of an earlier attempt with this name (same run and step) is ours to replace.
    await removeContainer(client, task.name);
    ({ Id: id } = await client.json<{ Id: string }>('POST', '/containers/create', { query: { name: task.name }, body, timeoutMs: 60_000 }));
    return await superviseContainer(client, id, log, (run.graceMs ?? options.graceMs) / 1000, run.signal);
  } catch (error) {
    if (run.signal.aborted) return { exitCode: null, reason: 'cancelled' };
    const berthError = toBerthError(error);
    const engineMessage = (berthError.details as { engineMessage?: string } | undefined)?.engineMessage;
    return { exitCode: null, reason: `the engine could not run its container from ${task.image}: ${engineMessage ?? berthError.message}` };
  } finally {
    log.end();
    await once(log, 'close').catch(() => undefined);
    // Always: a finished, failed or cancelled task leaves no container behind.
    await removeContainer(client, id ?? task.name).catch(() => undefined);
    if (filesDir) await rm(filesDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function writeTaskFiles(task: TaskSpec): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-task-'));
  await Promise.all(task.files.map((file, index) => writeFile(join(dir, `f${index}`), file.content, { mode: 0o644 })));
  return dir;
}

/** Starts the container, copies its output into the log until it exits, and stops it on abort. */
async function superviseContainer(client: DockerClient, id: string, log: WriteStream, graceSeconds: number, signal: AbortSignal): Promise<TaskResult> {
  const stop = () => {
    void client.json('POST', `/containers/${id}/stop`, { query: { t: Math.max(0, Math.ceil(graceSeconds)) } }).catch(() => undefined);
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    await client.json('POST', `/containers/${id}/start`, { timeoutMs: 60_000 });
    if (signal.aborted) stop();
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
    const waited = await client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
    // The stream ends with the container; a little slack for the last frames, never a hang.
    await Promise.race([copied, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    logs.destroy();
    const exitCode = waited.StatusCode;
    if (exitCode === 0 || signal.aborted) return { exitCode };
    const inspected = await client.json<{ State?: { OOMKilled?: boolean } }>('GET', `/containers/${id}/json`).catch(() => undefined);
    if (inspected?.State?.OOMKilled) return { exitCode, reason: 'OOMKilled' };
    return exitCode === 137 ? { exitCode, reason: 'killed' } : { exitCode };
  } finally {
    signal.removeEventListener('abort', stop);
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
