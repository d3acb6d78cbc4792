/**
 * The server's side of launcher.mjs: services are spawned by a small child process, not by the server
 * itself, so that no fork of the server (whose memory grows with its sessions) holds its event loop.
 * One launcher per Berth process, started on the first spawn and again after it died; it exits with
 * the server (its IPC channel closes) while the services, detached, run on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { installPath } from '../../shared/index.ts';
import type { ExitInfo } from './groups.ts';

const LAUNCHER = installPath('src', 'runtime', 'local', 'launcher.mjs');

export interface LaunchRequest {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** stdout and stderr append here. */
  logFile: string;
}

/** A process the launcher started: its stdin waits for `release` (the wrapper runs the service) or `abort`. */
export interface LaunchedProcess {
  pid: number;
  release(): void;
  abort(): void;
  /** How it exited; undefined when the launcher died first (the exit watcher then reads /proc). */
  exited: Promise<ExitInfo | undefined>;
  /** Keep this Berth process alive until the exit is known (a stop waiting for it). */
  ref(): void;
  unref(): void;
}

type LauncherMessage =
  | { type: 'spawned'; id: number; pid?: number; error?: { message: string; code?: string } }
  | { type: 'exit'; pid: number; exitCode: number | null; signal: string | null; at: string };

/** A spawn the launcher could not do, with the errno code spawn gave (ENOENT, EACCES, …). */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

class Launcher {
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #spawning = new Map<number, { resolve(pid: number): void; reject(error: Error): void }>();
  readonly #exits = new Map<number, (exit: ExitInfo | undefined) => void>();
  /** Callers that need the launcher's messages to keep this process alive. */
  #refs = 0;

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    const child = this.#running();
    const id = this.#nextId++;
    this.#ref();
    let pid: number;
    try {
      pid = await new Promise<number>((resolve, reject) => {
        this.#spawning.set(id, { resolve, reject });
        child.send({ type: 'spawn', id, ...request }, (error) => {
          if (error) this.#settleSpawn(id, error);
        });
      });
    } finally {
      this.#unref();
    }
    const exited = new Promise<ExitInfo | undefined>((resolve) => this.#exits.set(pid, resolve));
    const tell = (type: 'release' | 'abort') => child.connected && child.send({ type, pid }, () => undefined);
    return {
      pid,
      release: () => tell('release'),
      abort: () => tell('abort'),
      exited,
      ref: () => this.#ref(),
      unref: () => this.#unref(),
    };
  }

  /** Ends the launcher (tests; a server closing). Services it started run on. */
  stop(): void {
    this.#child?.kill('SIGKILL');
    this.#child = undefined;
  }

  #running(): ChildProcess {
    if (this.#child?.connected) return this.#child;
    const child = spawn(process.execPath, [LAUNCHER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: {} });
    child.on('message', (message: LauncherMessage) => this.#receive(message));
    child.once('error', (error) => this.#lost(child, error));
    child.once('exit', (code, signal) => this.#lost(child, new Error(`the launcher exited (${signal ?? `code ${code}`})`)));
    this.#child = child;
    this.#applyRef();
    return child;
  }

  #receive(message: LauncherMessage): void {
    if (message.type === 'spawned') {
      if (message.pid !== undefined) this.#settleSpawn(message.id, message.pid);
      else this.#settleSpawn(message.id, new LaunchError(message.error?.message ?? 'spawn failed', message.error?.code));
      return;
    }
    const resolve = this.#exits.get(message.pid);
    this.#exits.delete(message.pid);
    resolve?.({ exitCode: message.exitCode, signal: message.signal, at: message.at });
  }

  #settleSpawn(id: number, outcome: number | Error): void {
    const pending = this.#spawning.get(id);
    this.#spawning.delete(id);
    if (outcome instanceof Error) pending?.reject(outcome);
    else pending?.resolve(outcome);
  }

  /** Spawns in flight fail; exits of its processes are no longer known (the exit watcher reads /proc). */
  #lost(child: ChildProcess, error: Error): void {
    if (this.#child === child) this.#child = undefined;
    for (const id of [...this.#spawning.keys()]) this.#settleSpawn(id, error);
    for (const resolve of this.#exits.values()) resolve(undefined);
    this.#exits.clear();
  }

  #ref(): void {
    this.#refs += 1;
    this.#applyRef();
  }

  #unref(): void {
    this.#refs = Math.max(0, this.#refs - 1);
    this.#applyRef();
  }

  /** The launcher keeps this process alive only while someone waits for one of its answers. */
  #applyRef(): void {
    const child = this.#child;
    if (!child) return;
    const channel = child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (this.#refs > 0) {
      child.ref();
      channel?.ref?.();
    } else {
      child.unref();
      channel?.unref?.();
    }
  }
}

/** The launcher of this Berth process (every local runtime object in it shares one, as it shares exit tracking). */
export const launcher = new Launcher();
