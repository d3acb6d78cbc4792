/**
 * How Berth's proxy reaches a service of an isolated session at kernel speed (docs/runtimes/local.md,
 * "How the proxy reaches an isolated service"). The holder's Unix-socket forwarder copies every byte
 * through a Node process; instead, one dialer process per session (dialer.mjs, under `nsenter --net`)
 * connects inside the session's network and hands the connected TCP socket to this process over
 * its IPC channel. Only the connect crosses processes: the bytes then flow as on a host port.
 *
 * A dialer starts on its session's first connection and leaves after a minute without one: sockets
 * it handed over live on here, and the proxy keeps them in its keep-alive pools.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { installPath } from '../../../shared/index.ts';
import { RuntimeError } from '../../errors.ts';
import { TOOL_PATH } from './mode.ts';

const DIALER = installPath('src', 'runtime', 'local', 'isolation', 'dialer.mjs');
const CONNECT_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(socket: Socket): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** The port's own answer inside the session (ECONNREFUSED…), as opposed to a dialer that failed. */
class InsideConnectError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface DialerReply {
  id: number;
  error?: string;
}

/** One session's dialer process and the connects it has not answered yet. */
class Dialer {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #gone: Error | undefined;

  constructor(
    readonly sessionUuid: string,
    enterArgv: string[],
    idleMs: number,
    onExit: (dialer: Dialer) => void,
  ) {
    const [file, ...args] = enterArgv;
    this.#child = spawn(file!, [...args, process.execPath, DIALER, String(idleMs)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PATH: TOOL_PATH },
    });
    let stderr = '';
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-500);
    });
    this.#child.on('message', (message: DialerReply, handle: unknown) => this.#answer(message, handle));
    this.#child.once('error', (error) => this.#end(error));
    this.#child.once('exit', (code, signal) => {
      const why = stderr.trim() || `exited (${signal ?? `code ${code}`})`;
      this.#end(new Error(`the dialer of session ${sessionUuid} ${why}`));
      onExit(this);
    });
    this.#child.unref();
    (this.#child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  get gone(): boolean {
    return this.#gone !== undefined;
  }

  connect(port: number): Promise<Socket> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(id, new Error(`no connection to port ${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.send({ id, port }, (error) => {
        if (error) this.#settle(id, error);
      });
    });
  }

  stop(): void {
    this.#end(new Error(`the dialer of session ${this.sessionUuid} was stopped`));
    this.#child.kill('SIGKILL');
  }

  #answer(message: DialerReply, handle: unknown): void {
    if (message.error !== undefined) {
      this.#settle(message.id, new InsideConnectError(`connect to the port inside session ${this.sessionUuid}: ${message.error}`, message.error));
    } else if (handle instanceof Socket) {
      if (!this.#settle(message.id, handle)) handle.destroy();
    }
  }

  /** Resolves or rejects connect `id`; false when nobody waits for it any more (timed out). */
  #settle(id: number, outcome: Socket | Error): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
    return true;
  }

  #end(error: Error): void {
    this.#gone ??= error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, this.#gone);
  }
}

export class SessionDialers {
  readonly #dialers = new Map<string, Dialer>();
  readonly #idleMs: number;

  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? 60_000;
  }

  /**
   * A socket connected to 127.0.0.1:<port> inside the session's network. `enterArgv` enters it
   * (`nsenter --target=<holder> --net …`). A refused port rejects with the dialer's error code
   * (ECONNREFUSED); a dialer that cannot run rejects with BERTH_RUNTIME_DIALER_FAILED.
   */
  async connect(sessionUuid: string, enterArgv: () => string[], port: number): Promise<Socket> {
    let dialer = this.#dialers.get(sessionUuid);
    if (!dialer || dialer.gone) {
      dialer = new Dialer(sessionUuid, enterArgv(), this.#idleMs, (exited) => {
        if (this.#dialers.get(sessionUuid) === exited) this.#dialers.delete(sessionUuid);
      });
      this.#dialers.set(sessionUuid, dialer);
    }
    try {
      return await dialer.connect(port);
    } catch (error) {
      if (error instanceof InsideConnectError) throw error;
      throw new RuntimeError('BERTH_RUNTIME_DIALER_FAILED', `session ${sessionUuid}: cannot connect to port ${port} inside its network: ${(error as Error).message}`, {
        cause: error,
        hint: 'check `nsenter --net` into the session works on this host, or set BERTH_LOCAL_ISOLATION=host',
        details: { sessionUuid, port },
      });
    }
  }

  /** Ends the session's dialer (its namespace is going away). */
  stop(sessionUuid: string): void {
    this.#dialers.get(sessionUuid)?.stop();
    this.#dialers.delete(sessionUuid);
  }

  stopAll(): void {
    for (const sessionUuid of [...this.#dialers.keys()]) this.stop(sessionUuid);
  }
}
