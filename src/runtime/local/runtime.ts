/**
 * The local runtime: each service is a host process group, started detached so it outlives a
 * crash of Berth, described by a state file so a later Berth process can find, inspect and stop
 * it. See docs/runtimes/local.md.
 */
import type { Socket } from 'node:net';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ServicePlan } from '../../plan/index.ts';
import { BATCH, yieldToRequests } from '../../shared/index.ts';
import type { Endpoint, ExecResult, ExitFeed, Runtime, RuntimeObject, RuntimeRef, RuntimeState, StartOptions } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import { startMarker } from '../log-marker.ts';
import { bindsOf, hostPathOf, linkBinds, pathRewriter, type Bind } from './binds.ts';
import { assertExecutable, serviceArgv, umaskWrapper } from './command.ts';
import { hostEnv, serviceEnv } from './env.ts';
import { execNotFound, execOnHost } from './exec.ts';
import { childExit, forgetChild, runsByLauncher, stopGroup, trackChild } from './groups.ts';
import { hostDefaultFor } from './host-defaults.ts';
import { launcher } from './launcher.ts';
import { SessionDialers } from './isolation/dialer.ts';
import { SessionNamespaces, type HolderState } from './isolation/holder.ts';
import { parseIsolationRequest, resolveIsolation, type Isolation, type IsolationRequest } from './isolation/mode.ts';
import { assertPortsFree, assertPortsFreeInside, assertPortsUnclaimed } from './ports.ts';
import { groupMembers, processEnviron, readProcStat } from './procfs.ts';
import { instancesDir, StateFiles, type InstanceState } from './state.ts';

export interface LocalRuntimeOptions {
  /** Berth's private directory for scratch dirs and instance state files. */
  stateDir: string;
  /** Default time between SIGTERM and SIGKILL on stop (5 s). */
  graceMs?: number;
  /**
   * `namespace`: one network and mount namespace per session; `host`: real host ports; `auto`:
   * namespace where it works. Default: BERTH_LOCAL_ISOLATION, else host (docs/runtimes/local.md).
   */
  isolation?: IsolationRequest;
}

const DEFAULT_GRACE_MS = 5_000;
export const EXITED_WHILE_AWAY = 'exited while Berth was not running';

export function createLocalRuntime(options: LocalRuntimeOptions): Runtime {
  return new LocalRuntime(options);
}

class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  readonly isolation: Isolation;
  readonly #stateDir: string;
  readonly #states: StateFiles;
  readonly #graceMs: number;
  /** Services being stopped by this object: their exit must not rewrite the state file. */
  readonly #stopping = new Set<string>();
  /** Namespace mode only: each session's holder and forwarders. */
  readonly #namespaces: SessionNamespaces | undefined;
  /** Removes holders in every mode: a session started in namespace mode may be stopped after a restart in host mode. */
  readonly #holders: SessionNamespaces;
  /** Namespace mode: the proxy's connections into sessions, handed over by each session's dialer. */
  readonly #dialers = new SessionDialers();
  /** Namespace mode: ports claimed by a start in progress or done, per session (port -> service). */
  readonly #claims = new Map<string, Map<number, string>>();
  readonly #exitListeners = new Set<(ref: RuntimeRef) => void>();

  /** The launcher tells the exits of the processes this Berth started; adopted ones are inspected. */
  readonly exits: ExitFeed = {
    tells: (ref) => {
      const state = this.#stateOf(ref);
      return state !== undefined && runsByLauncher(state.pid, state.procStartTime);
    },
    listen: (listener) => {
      this.#exitListeners.add(listener);
      return () => this.#exitListeners.delete(listener);
    },
  };

  constructor(options: LocalRuntimeOptions) {
    this.#stateDir = options.stateDir;
    this.#states = new StateFiles(options.stateDir);
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    const fromEnv = process.env.BERTH_LOCAL_ISOLATION;
    const request = options.isolation ?? parseIsolationRequest(fromEnv, 'BERTH_LOCAL_ISOLATION');
    this.isolation = resolveIsolation(request, options.isolation ? 'the isolation option' : fromEnv ? 'BERTH_LOCAL_ISOLATION' : undefined);
    this.#holders = new SessionNamespaces(options.stateDir, this.isolation);
    this.#namespaces = this.isolation.mode === 'namespace' ? this.#holders : undefined;
  }

  #sessionDir(sessionUuid: string): string {
    return join(this.#stateDir, 'sessions', sessionUuid);
  }

  #scratchDir(sessionUuid: string, service: string): string {
    return join(this.#sessionDir(sessionUuid), service, 'work');
  }

  async prepareSession(sessionUuid: string, _labels: Record<string, string>): Promise<void> {
    mkdirSync(this.#sessionDir(sessionUuid), { recursive: true });
    mkdirSync(instancesDir(this.#stateDir, sessionUuid), { recursive: true });
    await this.#namespaces?.ensure(sessionUuid);
  }

  async cleanupSession(sessionUuid: string): Promise<void> {
    // Its callers stop the services first; what still runs is stopped now, since once its state file
    // is removed below nothing could find and stop it any more.
    const running = [...this.#states.all()].filter((state) => state.sessionUuid === sessionUuid);
    await Promise.all(running.map((state) => this.stop(this.#ref(state))));
    this.#dialers.stop(sessionUuid);
    await this.#holders.remove(sessionUuid, this.#graceMs);
    this.#claims.delete(sessionUuid);
    rmSync(this.#sessionDir(sessionUuid), { recursive: true, force: true });
    this.#states.removeSession(sessionUuid);
  }

  /**
   * Sessions with anything on disk here: a namespace holder (recorded in its holder.json), a session
   * or instances directory. Recovery removes those no session wants, also when no instance is left
   * to lead it there (a session whose steps ran but that has no service, a stop cut short).
   */
  async heldSessions(): Promise<string[]> {
    const entries = (dir: string): string[] => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    const dirs = [...entries(join(this.#stateDir, 'sessions')), ...entries(instancesDir(this.#stateDir))];
    return [...new Set([...this.#holders.recorded(), ...dirs])];
  }

  async start(plan: ServicePlan, options: StartOptions): Promise<RuntimeRef> {
    options.signal?.throwIfAborted();
    const command = serviceArgv(plan);
    const previous = this.#states.read(plan.sessionUuid, plan.name);
    if (previous && groupMembers(previous.pgid, previous.procStartTime).length > 0) {
      throw new RuntimeError('BERTH_RUNTIME_ALREADY_RUNNING', { service: plan.name, sessionUuid: plan.sessionUuid, pgid: previous.pgid }, {
        details: { service: plan.name, pgid: previous.pgid },
      });
    }
    const holder = await this.#prepareNetwork(plan);
    let state: InstanceState;
    try {
      state = await this.#startIn(plan, options, command, holder);
    } catch (error) {
      if (holder) this.#release(plan);
      throw error;
    }
    return this.#ref(state);
  }

  /**
   * Namespace mode: the session's holder, its ports refused when taken inside, its host names and
   * forwarders in place before the service runs. Host mode: the host's ports checked. undefined = host.
   */
  async #prepareNetwork(plan: ServicePlan): Promise<HolderState | undefined> {
    if (!this.#namespaces) {
      await assertPortsFree(plan.name, plan.ports, this.isolation.reason);
      return undefined;
    }
    const holder = await this.#namespaces.ensure(plan.sessionUuid);
    const claims = this.#claimsOf(plan.sessionUuid);
    assertPortsUnclaimed(plan.name, plan.ports, (port) => {
      const owner = claims.get(port);
      return owner !== undefined && owner !== plan.name ? owner : undefined;
    });
    for (const port of plan.ports) claims.set(port, plan.name);
    try {
      await assertPortsFreeInside(plan.name, plan.ports, { uuid: plan.sessionUuid, holderPid: holder.nsPid });
      this.#namespaces.addHost(plan.sessionUuid, plan.hostname, plan.name);
      await this.#namespaces.listen(plan.sessionUuid, plan.ports);
    } catch (error) {
      this.#release(plan);
      throw error;
    }
    return holder;
  }

  /** Ports claimed in this session: this process's starts, and the state files of a process before it. */
  #claimsOf(sessionUuid: string): Map<number, string> {
    let claims = this.#claims.get(sessionUuid);
    if (!claims) {
      claims = new Map();
      for (const state of this.#states.all()) {
        if (state.sessionUuid !== sessionUuid) continue;
        for (const port of state.ports ?? []) claims.set(port, state.service);
      }
      this.#claims.set(sessionUuid, claims);
    }
    return claims;
  }

  #release(plan: { sessionUuid: string; name: string }): void {
    const claims = this.#claims.get(plan.sessionUuid);
    if (!claims) return;
    for (const [port, owner] of claims) if (owner === plan.name) claims.delete(port);
  }

  async #startIn(plan: ServicePlan, options: StartOptions, command: ReturnType<typeof serviceArgv>, holder: HolderState | undefined): Promise<InstanceState> {
    const binds = bindsOf(plan.mounts);
    const rewrite = pathRewriter(binds);
    const argv = command.argv.map(rewrite);
    const env = serviceEnv(plan, rewrite);
    const scratchDir = this.#scratchDir(plan.sessionUuid, plan.name);
    // Off the event loop: beside 1,000 starts these waited on the file system's locks, 1 ms each.
    await rm(scratchDir, { recursive: true, force: true });
    await mkdir(scratchDir, { recursive: true });
    let state: InstanceState;
    try {
      linkBinds(scratchDir, binds);
      const cwd = this.#workingDir(plan, scratchDir, binds);
      assertExecutable(plan, { ...command, argv }, env, cwd);
      const enter = holder && this.#namespaces ? this.#namespaces.enterArgv(holder, cwd) : [];
      state = await this.#spawn(plan, { argv, env, cwd, binds, scratchDir, logFile: options.logFile, enter });
    } catch (error) {
      rmSync(scratchDir, { recursive: true, force: true });
      throw error;
    }
    return state;
  }

  /** Spawns the wrapped argv as a new process group writing to the log, and records its state file. */
  async #spawn(
    plan: ServicePlan,
    run: { argv: string[]; env: Record<string, string>; cwd: string; binds: Bind[]; scratchDir: string; logFile: string; enter: string[] },
  ): Promise<InstanceState> {
    // Asynchronous file work: 1,000 starts in a row must leave the event loop to requests.
    await mkdir(dirname(run.logFile), { recursive: true });
    const log = await open(run.logFile, 'a');
    try {
      const umask = umaskWrapper(run.argv);
      // nsenter execs the wrapper, which execs the service: one pid, leading its own group.
      const wrapper = run.enter.length > 0 ? { file: run.enter[0]!, args: [...run.enter.slice(1), umask.file, ...umask.args] } : umask;
      // The launcher forks, not this process (launcher.ts): a fork of the server held its event loop.
      const child = await launcher.launch({ file: wrapper.file, args: wrapper.args, cwd: run.cwd, env: run.env, logFile: run.logFile }).catch((cause: Error) => {
        throw new RuntimeError('BERTH_RUNTIME_SPAWN_FAILED', { service: plan.name, file: wrapper.file, reason: cause.message }, { cause });
      });
      const pid = child.pid;
      // The wrapper waits on stdin until the marker and the state file are written.
      const startedAt = new Date();
      await log.write(`${startMarker(plan.name, startedAt, pid)}\n`);
      const state: InstanceState = {
        version: 1,
        sessionUuid: plan.sessionUuid,
        service: plan.name,
        pid,
        pgid: pid, // detached: the child called setsid(), so it leads its own group
        procStartTime: readProcStat(pid)?.startTime ?? -1,
        startedAt: startedAt.toISOString(),
        labels: { ...plan.labels },
        argv: run.argv,
        ports: [...plan.ports],
        binds: run.binds,
        cwd: run.cwd,
        scratchDir: run.scratchDir,
        logFile: run.logFile,
      };
      try {
        await this.#states.create(state);
      } catch (cause) {
        // Without its state file nobody could ever stop this group: end it now.
        child.abort(); // it never gets its line: the wrapper exits without running the service
        process.kill(-pid, 'SIGKILL');
        throw new RuntimeError('BERTH_RUNTIME_STATE_WRITE', { service: plan.name, stateDir: this.#stateDir }, { cause });
      }
      trackChild(child, state.procStartTime, (exit) => this.#recordExit(state, exit));
      child.release();
      return state;
    } finally {
      await log.close();
    }
  }

  /** The image's working directory inside the scratch dir (or a bind) when known, else the scratch dir. */
  #workingDir(plan: ServicePlan, scratchDir: string, binds: Bind[]): string {
    const workdir = hostDefaultFor(plan.image)?.workdir;
    if (!workdir) return scratchDir;
    const bound = hostPathOf(workdir, binds);
    if (bound !== undefined) return existsSync(bound) ? bound : scratchDir;
    const dir = join(scratchDir, workdir);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  #recordExit(state: InstanceState, exit: { exitCode: number | null; signal: string | null; at: string }): void {
    if (this.#stopping.has(this.#key(state.sessionUuid, state.service))) return;
    const current = this.#states.read(state.sessionUuid, state.service);
    if (!current || current.pgid !== state.pgid || current.procStartTime !== state.procStartTime) return;
    try {
      this.#states.write({ ...current, exit });
    } catch {
      // the session directory was removed meanwhile: nothing left to record
    }
    for (const listener of this.#exitListeners) listener(this.#ref(current));
  }

  #key(sessionUuid: string, service: string): string {
    return `${sessionUuid}/${service}`;
  }

  #ref(state: InstanceState): RuntimeRef {
    return { runtime: 'local', id: String(state.pgid), sessionUuid: state.sessionUuid, service: state.service };
  }

  /** The state file of `ref`, only when it still describes the same instance. */
  #stateOf(ref: RuntimeRef): InstanceState | undefined {
    const state = this.#states.read(ref.sessionUuid, ref.service);
    return state && String(state.pgid) === ref.id ? state : undefined;
  }

  async #stateFor(state: InstanceState): Promise<RuntimeState> {
    // The launcher tells this process of its children's exits; /proc is for instances it adopted.
    if (runsByLauncher(state.pid, state.procStartTime)) return { state: 'running', startedAt: state.startedAt };
    const stat = readProcStat(state.pid);
    const alive = stat !== undefined && stat.startTime === state.procStartTime;
    if (alive && stat.state !== 'Z') return { state: 'running', startedAt: state.startedAt };
    const recorded = this.#states.read(state.sessionUuid, state.service, { fresh: true });
    if (!recorded || recorded.pgid !== state.pgid) return { state: 'missing' }; // stopped and removed meanwhile
    const exit = (await childExit(state.pid, state.procStartTime, alive)) ?? recorded.exit ?? state.exit;
    if (exit) return { state: 'exited', exitCode: exit.exitCode, signal: exit.signal, ...exitReason(exit) };
    return { state: 'exited', exitCode: null, signal: null, reason: EXITED_WHILE_AWAY };
  }

  async stop(ref: RuntimeRef, options: { graceMs?: number } = {}): Promise<void> {
    const state = this.#states.read(ref.sessionUuid, ref.service);
    if (state && String(state.pgid) !== ref.id) return; // a newer instance: not this ref's to stop
    if (state) {
      const key = this.#key(state.sessionUuid, state.service);
      this.#stopping.add(key);
      try {
        await stopGroup(state.service, state.pgid, state.procStartTime, options.graceMs ?? this.#graceMs);
        await this.#states.remove(state.sessionUuid, state.service);
        this.#release({ sessionUuid: state.sessionUuid, name: state.service });
      } finally {
        this.#stopping.delete(key);
      }
      forgetChild(state.pid);
    }
    const scratchDir = this.#scratchDir(ref.sessionUuid, ref.service);
    await rm(scratchDir, { recursive: true, force: true });
    try {
      await rmdir(dirname(scratchDir));
    } catch {
      // not empty or already gone
    }
  }

  async list(labels: Record<string, string>): Promise<RuntimeObject[]> {
    const wanted = Object.entries(labels);
    const objects: RuntimeObject[] = [];
    let seen = 0;
    for (const state of this.#states.all()) {
      // Each one reads /proc: 1,000 in one turn held the event loop 40-50 ms.
      if (++seen % BATCH === 0) await yieldToRequests();
      if (!wanted.every(([key, value]) => state.labels[key] === value)) continue;
      objects.push({ ref: this.#ref(state), labels: { ...state.labels }, state: await this.#stateFor(state) });
    }
    return objects;
  }

  async inspect(ref: RuntimeRef): Promise<RuntimeState> {
    const state = this.#stateOf(ref);
    return state ? this.#stateFor(state) : { state: 'missing' };
  }

  /**
   * Namespace mode: the forwarder's Unix socket, and its probe socket: the forwarder accepts before it
   * dials the port inside, so a port check asks the probe instead (docs/runtimes/local.md).
   */
  async endpoint(ref: RuntimeRef, port: number): Promise<Endpoint> {
    if (!this.#namespaces) return { host: '127.0.0.1', port };
    const socketPath = this.#namespaces.socketPath(ref.sessionUuid, port);
    return { host: '127.0.0.1', port, socketPath, probeSocketPath: `${socketPath}.probe` };
  }

  /**
   * Namespace mode: a socket connected to `port` inside the session, for the proxy. The forwarder at
   * the endpoint's socketPath would copy every byte through the holder; the dialer only connects.
   */
  async dial(sessionUuid: string, port: number): Promise<Socket> {
    const holder = this.#namespaces?.live(sessionUuid);
    if (!holder) {
      throw new RuntimeError('BERTH_RUNTIME_NOT_FOUND', { what: 'network', sessionUuid, port, isolated: this.#namespaces !== undefined }, {
        details: { sessionUuid, port },
      });
    }
    return this.#dialers.connect(sessionUuid, () => this.#namespaces!.enterArgv(holder, '/'), port);
  }

  /** Orchest's `<name>-<session_uuid>` where the session has its own hosts file; else the host's loopback. */
  internalHostname(plan: ServicePlan): string {
    return this.#namespaces ? plan.hostname : '127.0.0.1';
  }

  /** The argv prefix that runs a host program inside the session's namespaces (steps); undefined in host mode. */
  async sessionEnterArgv(sessionUuid: string, options: { cwd: string; hostPorts?: number[] }): Promise<string[] | undefined> {
    if (!this.#namespaces) return undefined;
    const holder = await this.#namespaces.ensure(sessionUuid);
    for (const port of options.hostPorts ?? []) await this.#namespaces.outward(sessionUuid, port);
    return this.#namespaces.enterArgv(holder, options.cwd);
  }

  async exec(ref: RuntimeRef, argv: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ExecResult> {
    const state = this.#stateOf(ref);
    if (!state) {
      throw new RuntimeError('BERTH_RUNTIME_NOT_FOUND', { what: 'instance', sessionUuid: ref.sessionUuid, service: ref.service, id: ref.id }, {
        details: { service: ref.service, id: ref.id },
      });
    }
    const stat = readProcStat(state.pid);
    const serviceEnvironment = stat?.startTime === state.procStartTime ? processEnviron(state.pid) : undefined;
    const rewrite = pathRewriter(state.binds);
    const cwd = existsSync(state.cwd) ? state.cwd : '/';
    const enter = (await this.sessionEnterArgv(state.sessionUuid, { cwd })) ?? [];
    const result = await execOnHost([...enter, ...argv.map(rewrite)], {
      service: state.service,
      cwd,
      env: { ...(serviceEnvironment ?? hostEnv()), ...(options.env ?? {}) },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    // Inside a namespace nsenter runs the program: a missing one is nsenter's exit 127, not spawn's ENOENT.
    const missing = enter.length > 0 && result.exitCode === 127 ? /^nsenter: failed to execute (.+): No such file or directory$/m.exec(result.output) : null;
    if (missing) throw execNotFound(state.service, missing[1]!, argv);
    return result;
  }

  async close(): Promise<void> {
    // Services are detached and unref'd: nothing of theirs keeps this process alive or needs closing.
    // Dialers are this process's children, for connections of this process only.
    this.#dialers.stopAll();
  }
}

/** Exit code 127 from the wrapper means the shell could not find what it was told to exec. */
function exitReason(exit: { exitCode: number | null; signal: string | null }): { reason?: string } {
  if (exit.signal) return { reason: `killed by ${exit.signal}` };
  if (exit.exitCode === 127) return { reason: 'command not found' };
  if (exit.exitCode === 126) return { reason: 'command not executable' };
  return {};
}
