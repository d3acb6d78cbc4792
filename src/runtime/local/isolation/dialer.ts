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
import { Socket } from 'node:net';
import { installPath } from '../../../shared/index.ts';
import { RuntimeError } from '../../errors.ts';
import { IpcChild } from '../ipc-child.ts';
import { TOOL_PATH } from './mode.ts';

const DIALER = installPath('src', 'runtime', 'local', 'isolation', 'dialer.mjs');
const CONNECT_TIMEOUT_MS = 10_000;

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

/** One session's dialer process. */
class Dialer {
  readonly #child: IpcChild<DialerReply>;

  constructor(
    readonly sessionUuid: string,
    enterArgv: string[],
    idleMs: number,
    onGone: (dialer: Dialer) => void,
  ) {
    this.#child = new IpcChild([...enterArgv, process.execPath, DIALER, String(idleMs)], {
      name: `the dialer of session ${sessionUuid}`,
      env: { PATH: TOOL_PATH },
      onGone: () => onGone(this),
    });
  }

  get gone(): boolean {
    return this.#child.gone !== undefined;
  }

  async connect(port: number): Promise<Socket> {
    const { reply, handle } = await this.#child.request({ port }, CONNECT_TIMEOUT_MS);
    if (reply.error !== undefined) throw new InsideConnectError(`connect to the port inside session ${this.sessionUuid}: ${reply.error}`, reply.error);
    if (handle instanceof Socket) return handle;
    throw new Error(`the dialer of session ${this.sessionUuid} answered without a socket`);
  }

  stop(): void {
    this.#child.kill();
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
      throw new RuntimeError('BERTH_RUNTIME_DIALER_FAILED', { sessionUuid, port, reason: (error as Error).message }, {
        cause: error,
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
