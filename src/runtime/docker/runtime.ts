/**
 * The docker runtime: one container per service on a per-session user-defined bridge network,
 * through the Engine API (Docker, or Podman's compatible socket), and one per task (a job step:
 * task.ts) on the same network. Containers carry the plan's (or task's) labels plus this
 * installation's id, so `list` finds them again after a Berth restart.
 */
import { statSync } from 'node:fs';
import { appendStartMarker } from '../log-cursor.ts';
import { type RuntimeKind, type ServicePlan, LABELS } from '../../plan/index.ts';
import type { Endpoint, ExecResult, Runtime, RuntimeObject, RuntimeRef, RuntimeState, StartOptions, TaskOptions, TaskResult, TaskSpec } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import { createEngineImageBuilder } from './image-build.ts';
import { createDockerClient, engineStatus, readAll, type DockerClient } from './client.ts';
import { containerName, createContainerBody, networkName, portKey, type ContainerIdentity } from './container-spec.ts';
import { chooseReach, engineHostFacts, onLocalSubnet, parseReach, type DockerReach, type DockerReachOption } from './reach.ts';
import { ensureImage } from './images.ts';
import { followLogs, type LogFollower } from './logs.ts';
import { demuxAll } from './streams.ts';
import { engineFacts, runTaskContainer, type EngineFacts } from './task.ts';

export interface DockerRuntimeOptions {
  /** Unix socket of the engine (`/var/run/docker.sock`, `/run/podman/podman.sock`). */
  socketPath: string;
  installationId: string;
  /** Default grace period of `stop` before the engine kills the container. */
  graceMs?: number;
  /**
   * Who the service runs as. `project-owner` (default): the uid:gid owning the project (else data)
   * directory it mounts, so files it writes into binds belong to the host user. `image`: the
   * image's USER (usually root) plus the directory's group as a supplementary group (Orchest's
   * group_add); files then need `umask 002` in the service to stay group-writable.
   */
  user?: 'project-owner' | 'image';
  /**
   * How Berth reaches the services' ports (reach.ts). `auto` (default): on the session network when
   * this process has an address in its subnet, else through ports published on 127.0.0.1.
   */
  reach?: DockerReachOption;
}

interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Error: string; StartedAt: string };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress?: string; IPPrefixLen?: number }> | null;
  };
}

interface ContainerSummary {
  Id: string;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
}

const KIND: RuntimeKind = 'docker';

export function createDockerRuntime(options: DockerRuntimeOptions): Runtime {
  const client = createDockerClient(options.socketPath);
  const followers = new Map<string, LogFollower>();
  const defaultGraceMs = options.graceMs ?? 10_000;
  const reachOption = options.reach ?? parseReach(process.env.BERTH_DOCKER_REACH);
  let engineReach: Promise<DockerReach> | undefined;

  let facts: Promise<EngineFacts> | undefined;

  /** What the engine is (Docker or Podman), for task containers: asked again after a failure, as the engine may have been restarted. */
  function taskFacts(): Promise<EngineFacts> {
    facts ??= engineFacts(client).catch((error: unknown) => {
      facts = undefined;
      throw error;
    });
    return facts;
  }

  /** Decided once per engine: where Berth runs does not change between sessions. */
  function reach(): Promise<DockerReach> {
    if (reachOption !== 'auto') return Promise.resolve(reachOption);
    engineReach ??= client.json<{ SecurityOptions?: string[] | null; Name?: string }>('GET', '/info').then(
      (info) => chooseReach(reachOption, engineHostFacts(info)),
      (error: unknown) => {
        engineReach = undefined; // asked again next time
        throw error;
      },
    );
    return engineReach;
  }

  function follow(id: string, logFile: string): void {
    followers.get(id)?.stop();
    const follower = followLogs(client, id, logFile);
    followers.set(id, follower);
    void follower.done.finally(() => {
      if (followers.get(id) === follower) followers.delete(id);
    });
  }

  async function inspectContainer(id: string): Promise<ContainerInspect | undefined> {
    try {
      return await client.json<ContainerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`);
    } catch (error) {
      if (engineStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** A leftover container of this installation with the same name is replaced; anyone else's is not touched. */
  async function removeLeftover(name: string): Promise<void> {
    const existing = await inspectContainer(name);
    if (!existing) return;
    if (existing.Config.Labels?.[LABELS.installation] !== options.installationId) {
      throw new RuntimeError('BERTH_RUNTIME_NAME_CONFLICT', { kind: 'container', name, socketPath: options.socketPath });
    }
    await client.json('DELETE', `/containers/${existing.Id}`, { query: { force: 1, v: 1 } }).catch(ignoreStatus(404, 409));
  }

  return {
    kind: KIND,

    async prepareSession(sessionUuid: string, labels: Record<string, string>): Promise<void> {
      const name = networkName(sessionUuid);
      try {
        const existing = await client.json<{ Labels: Record<string, string> | null }>('GET', `/networks/${name}`);
        if (existing.Labels?.[LABELS.installation] === options.installationId) return;
        throw new RuntimeError('BERTH_RUNTIME_NAME_CONFLICT', { kind: 'network', name, socketPath: options.socketPath });
      } catch (error) {
        if (engineStatus(error) !== 404) throw error;
      }
      await client
        .json('POST', '/networks/create', {
          body: { Name: name, CheckDuplicate: true, Driver: 'bridge', Labels: { ...labels, [LABELS.installation]: options.installationId, [LABELS.session]: sessionUuid } },
        })
        .catch(ignoreStatus(409));
    },

    async cleanupSession(sessionUuid: string): Promise<void> {
      const name = networkName(sessionUuid);
      try {
        await client.json('DELETE', `/networks/${name}`);
      } catch (error) {
        if (engineStatus(error) === 404) return;
        throw new RuntimeError('BERTH_RUNTIME_NETWORK_IN_USE', { network: name, reason: (error as Error).message }, { cause: error });
      }
    },

    async start(plan: ServicePlan, startOptions: StartOptions): Promise<RuntimeRef> {
      const image = await ensureImage(client, plan.image, startOptions.onProgress, startOptions.signal);
      const name = containerName(plan);
      await removeLeftover(name);
      const publish = (await reach()) === 'published';
      const body = createContainerBody(plan, image, options.installationId, identityFor(plan, options.user ?? 'project-owner'), { publish });
      let created: { Id: string };
      try {
        created = await client.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body, signal: startOptions.signal });
      } catch (cause) {
        throw startError(plan, 'create', cause);
      }
      appendStartMarker(startOptions.logFile, plan.name);
      try {
        await client.json('POST', `/containers/${created.Id}/start`, { signal: startOptions.signal });
      } catch (cause) {
        await client.json('DELETE', `/containers/${created.Id}`, { query: { force: 1, v: 1 } }).catch(() => undefined);
        throw startError(plan, 'start', cause);
      }
      follow(created.Id, startOptions.logFile);
      return { runtime: KIND, id: created.Id, sessionUuid: plan.sessionUuid, service: plan.name };
    },

    async stop(ref: RuntimeRef, stopOptions?: { graceMs?: number }): Promise<void> {
      const seconds = Math.max(0, Math.ceil((stopOptions?.graceMs ?? defaultGraceMs) / 1000));
      await client.json('POST', `/containers/${ref.id}/stop`, { query: { t: seconds } }).catch(ignoreStatus(304, 404));
      // Let the follower write the last lines the service printed while stopping.
      const follower = followers.get(ref.id);
      if (follower) await Promise.race([follower.done, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      follower?.stop();
      await client.json('DELETE', `/containers/${ref.id}`, { query: { force: 1, v: 1 } }).catch(ignoreStatus(404, 409));
    },

    async list(labels: Record<string, string>): Promise<RuntimeObject[]> {
      const wanted = { ...labels, [LABELS.installation]: options.installationId };
      const filters = JSON.stringify({ label: Object.entries(wanted).map(([key, value]) => `${key}=${value}`) });
      const containers = await client.json<ContainerSummary[]>('GET', '/containers/json', { query: { all: 1, filters } });
      return containers.map((container) => {
        const containerLabels = container.Labels ?? {};
        return {
          ref: { runtime: KIND, id: container.Id, sessionUuid: containerLabels[LABELS.session] ?? '', service: containerLabels[LABELS.service] ?? '' },
          labels: containerLabels,
          state: summaryState(container),
        };
      });
    },

    async inspect(ref: RuntimeRef): Promise<RuntimeState> {
      const container = await inspectContainer(ref.id);
      return container ? inspectState(container) : { state: 'missing' };
    },

    async endpoint(ref: RuntimeRef, port: number): Promise<Endpoint> {
      const container = await inspectContainer(ref.id);
      if (!container) {
        throw new RuntimeError('BERTH_RUNTIME_NO_ENDPOINT', { service: ref.service, container: ref.id, port, why: 'gone' });
      }
      const attached = container.NetworkSettings.Networks?.[networkName(ref.sessionUuid)];
      if (attached?.IPAddress && (await reach()) === 'network') {
        if (!onLocalSubnet(`${attached.IPAddress}/${attached.IPPrefixLen ?? 32}`)) {
          throw new RuntimeError('BERTH_RUNTIME_NETWORK_UNREACHABLE', { service: ref.service, address: attached.IPAddress, prefixLength: attached.IPPrefixLen, port });
        }
        return { host: attached.IPAddress, port };
      }
      const bindings = container.NetworkSettings.Ports?.[portKey(port)] ?? [];
      const binding = bindings.find((b) => b.HostIp === '127.0.0.1') ?? bindings[0];
      if (!binding?.HostPort) {
        throw new RuntimeError('BERTH_RUNTIME_NO_ENDPOINT', { service: ref.service, container: ref.id, port, why: 'unpublished' });
      }
      return { host: '127.0.0.1', port: Number(binding.HostPort), proxied: true };
    },

    internalHostname(plan: ServicePlan): string {
      return plan.hostname;
    },

    async exec(ref: RuntimeRef, argv: string[], execOptions?: { timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult> {
      const env = Object.entries(execOptions?.env ?? {}).map(([key, value]) => `${key}=${value}`);
      const { Id } = await client.json<{ Id: string }>('POST', `/containers/${ref.id}/exec`, {
        body: { Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false, ...(env.length ? { Env: env } : {}) },
      });
      const controller = new AbortController();
      const timeoutMs = execOptions?.timeoutMs ?? 30_000;
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let raw: Buffer;
      try {
        const stream = await client.stream('POST', `/exec/${Id}/start`, { body: { Detach: false, Tty: false }, signal: controller.signal });
        raw = await readAll(stream);
        // An abort after the headers arrived can end the body quietly instead of failing it.
        if (controller.signal.aborted) throw new Error('aborted');
      } catch (cause) {
        if (controller.signal.aborted) {
          // The engine API cannot kill an exec'd process; it ends with the container at the latest.
          throw new RuntimeError('BERTH_RUNTIME_EXEC_TIMEOUT', { at: 'container', service: ref.service, argv, timeoutMs }, { cause });
        }
        throw cause;
      } finally {
        clearTimeout(timer);
      }
      const inspected = await client.json<{ ExitCode: number | null; Running: boolean }>('GET', `/exec/${Id}/json`);
      return { exitCode: inspected.ExitCode ?? -1, output: demuxAll(raw).output };
    },

    async reattachLogs(ref: RuntimeRef, logFile: string): Promise<void> {
      if (followers.has(ref.id)) return;
      follow(ref.id, logFile);
    },

    runTask(task: TaskSpec, taskOptions: TaskOptions): Promise<TaskResult> {
      return runTaskContainer(client, task, { installationId: options.installationId, facts: taskFacts, graceMs: defaultGraceMs }, taskOptions);
    },

    imageBuilder: () => createEngineImageBuilder(options.socketPath),

    async close(): Promise<void> {
      const all = [...followers.values()];
      for (const follower of all) follower.stop();
      await Promise.all(all.map((follower) => follower.done));
      followers.clear();
    },
  };
}

function identityFor(plan: ServicePlan, mode: 'project-owner' | 'image'): ContainerIdentity {
  const mount = plan.mounts.find((m) => m.source === 'project') ?? plan.mounts.find((m) => m.source === 'data');
  if (!mount) return {};
  let owner: { uid: number; gid: number };
  try {
    owner = statSync(mount.hostPath);
  } catch {
    return {}; // the engine creates a missing bind source; nothing to match yet
  }
  if (mode === 'image' || owner.uid === 0) return owner.gid === 0 ? {} : { groupAdd: [String(owner.gid)] };
  // The directory's owner and group: new files belong to the host user, as if they had written them.
  return { user: `${owner.uid}:${owner.gid}` };
}

function inspectState(container: ContainerInspect): RuntimeState {
  const state = container.State;
  if (state.Running || state.Status === 'running') return { state: 'running', startedAt: state.StartedAt };
  if (state.Status === 'created' || state.Status === 'restarting' || state.Status === 'paused') {
    return { state: 'waiting', reason: state.Status, fatal: false };
  }
  const reason = state.OOMKilled ? 'OOMKilled' : state.Error || undefined;
  return { state: 'exited', exitCode: state.ExitCode, ...(reason ? { reason } : {}) };
}

function summaryState(container: ContainerSummary): RuntimeState {
  if (container.State === 'running') return { state: 'running' };
  if (container.State === 'exited' || container.State === 'dead' || container.State === 'stopped') {
    const code = /Exited \((-?\d+)\)/.exec(container.Status)?.[1];
    return { state: 'exited', exitCode: code === undefined ? null : Number(code) };
  }
  return { state: 'waiting', reason: container.State, fatal: false };
}

function startError(plan: ServicePlan, step: 'create' | 'start', cause: unknown): RuntimeError {
  const engineMessage = ((cause as RuntimeError).details as { engineMessage?: string } | undefined)?.engineMessage;
  const reason = engineMessage ?? (cause as Error).message;
  return new RuntimeError('BERTH_RUNTIME_START_FAILED', { by: 'engine', service: plan.name, step, image: plan.image, reason }, { cause });
}

/** Swallows engine errors with the given HTTP statuses (e.g. 404 = already gone). */
function ignoreStatus(...statuses: number[]): (error: unknown) => undefined {
  return (error: unknown) => {
    const status = engineStatus(error);
    if (status !== undefined && statuses.includes(status)) return undefined;
    throw error;
  };
}

export type { DockerClient };
