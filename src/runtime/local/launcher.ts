/**
 * The server's side of launcher.mjs: services are spawned by a small child process, not by the server
 * itself, so that no fork of the server (whose memory grows with its sessions) holds its event loop.
 * One launcher per Berth process, started on the first spawn and again after it died; it exits with
 * the server (its IPC channel closes) while the services, detached, run on.
 */
import { installPath } from '../../shared/index.ts';
import type { ExitInfo } from './groups.ts';
import { IpcChild } from './ipc-child.ts';

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

interface SpawnedReply {
  id: number;
  pid?: number;
  error?: { message: string; code?: string };
}

interface ExitMessage {
  type: 'exit';
  pid: number;
  exitCode: number | null;
  signal: string | null;
  at: string;
}

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
  #child: IpcChild<SpawnedReply> | undefined;
  readonly #exits = new Map<number, (exit: ExitInfo | undefined) => void>();
  /**
   * Exits told before `launch` could listen: a process that ends at once is reported right after
   * its pid, and both messages are delivered before the awaiting `launch` resumes.
   */
  readonly #early = new Map<number, ExitInfo>();

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    const child = this.#running();
    const { reply } = await child.request({ type: 'spawn', ...request });
    if (reply.pid === undefined) throw new LaunchError(reply.error?.message ?? 'spawn failed', reply.error?.code);
    const pid = reply.pid;
    const early = this.#early.get(pid);
    this.#early.delete(pid);
    const exited = early ? Promise.resolve(early) : new Promise<ExitInfo | undefined>((resolve) => this.#exits.set(pid, resolve));
    return {
      pid,
      release: () => child.tell({ type: 'release', pid }),
      abort: () => child.tell({ type: 'abort', pid }),
      exited,
      ref: () => child.ref(),
      unref: () => child.unref(),
    };
  }

  /** Ends the launcher (tests; a server closing). Services it started run on. */
  stop(): void {
    this.#child?.kill();
    this.#child = undefined;
  }

  #running(): IpcChild<SpawnedReply> {
    if (this.#child?.connected) return this.#child;
    const child = new IpcChild<SpawnedReply>([process.execPath, LAUNCHER], {
      name: 'the launcher',
      env: {},
      onMessage: (message) => this.#exited(message as ExitMessage),
      // Exits of its processes are no longer told: the exit watcher reads /proc.
      onGone: () => {
        if (this.#child === child) this.#child = undefined;
        for (const resolve of this.#exits.values()) resolve(undefined);
        this.#exits.clear();
      },
    });
    this.#child = child;
    return child;
  }

  #exited(message: ExitMessage): void {
    const exit = { exitCode: message.exitCode, signal: message.signal, at: message.at };
    const resolve = this.#exits.get(message.pid);
    this.#exits.delete(message.pid);
    if (resolve) resolve(exit);
    else this.#early.set(message.pid, exit);
  }
}

/** The launcher of this Berth process (every local runtime object in it shares one, as it shares exit tracking). */
export const launcher = new Launcher();
