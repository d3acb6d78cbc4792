/**
 * A helper process of this Berth process over a Node IPC channel (the launcher, a session's dialer):
 * asked requests `{ id, … }`, it answers `{ id, … }`, a handle sometimes attached (a socket). Other
 * messages it sends go to `onMessage`. It is unref'd: it keeps Berth alive only while someone waits
 * for one of its answers (a request in flight, or `ref()` until `unref()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface IpcAnswer<Reply> {
  reply: Reply;
  handle: unknown;
}

interface Pending<Reply> {
  resolve(answer: IpcAnswer<Reply>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface IpcChildOptions {
  /** How errors name it: "the launcher", "the dialer of session …". */
  name: string;
  env: Record<string, string>;
  /** Messages that answer no request (the launcher's exits). */
  onMessage?: (message: unknown) => void;
  /** It exited or could not start; every request in flight has been rejected with `error`. */
  onGone?: (error: Error) => void;
}

function isReply(message: unknown): message is { id: number } {
  return typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'number';
}

export class IpcChild<Reply extends { id: number }> {
  readonly #child: ChildProcess;
  readonly #name: string;
  readonly #pending = new Map<number, Pending<Reply>>();
  #nextId = 1;
  #refs = 0;
  #gone: Error | undefined;

  constructor(argv: readonly string[], options: IpcChildOptions) {
    const [file, ...args] = argv;
    this.#name = options.name;
    this.#child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: options.env });
    let stderr = '';
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-500);
    });
    // Read for the error message only: the pipe must not keep Berth alive either.
    (this.#child.stderr as { unref?: () => void } | null)?.unref?.();
    this.#child.on('message', (message: unknown, handle: unknown) => {
      if (!isReply(message)) return options.onMessage?.(message);
      // Nobody waits any more (timed out): a socket sent along must not leak.
      if (!this.#settle(message.id, { reply: message as Reply, handle })) (handle as { destroy?: () => void } | undefined)?.destroy?.();
    });
    const gone = (error: Error): void => {
      if (this.#gone) return;
      this.#gone = error;
      for (const id of [...this.#pending.keys()]) this.#settle(id, error);
      options.onGone?.(error);
    };
    this.#child.once('error', gone);
    this.#child.once('exit', (code, signal) => gone(new Error(`${this.#name} ${stderr.trim() || `exited (${signal ?? `code ${code}`})`}`)));
    this.#applyRef();
  }

  /** Why it is gone; undefined while it runs. */
  get gone(): Error | undefined {
    return this.#gone;
  }

  get connected(): boolean {
    return this.#gone === undefined && this.#child.connected;
  }

  /** Sends `{ id, …message }` and resolves with its answer; rejects when it is gone or after `timeoutMs`. */
  request(message: object, timeoutMs?: number): Promise<IpcAnswer<Reply>> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    this.ref();
    return new Promise<IpcAnswer<Reply>>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.#settle(id, new Error(`${this.#name} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.send({ ...message, id }, (error) => {
        if (error) this.#settle(id, error);
      });
    }).finally(() => this.unref());
  }

  /** A message that gets no answer. */
  tell(message: object): void {
    if (this.connected) this.#child.send(message, () => undefined);
  }

  ref(): void {
    this.#refs += 1;
    this.#applyRef();
  }

  unref(): void {
    this.#refs = Math.max(0, this.#refs - 1);
    this.#applyRef();
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  /** Resolves or rejects request `id`; false when nobody waits for it any more. */
  #settle(id: number, outcome: IpcAnswer<Reply> | Error): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
    return true;
  }

  #applyRef(): void {
    const channel = this.#child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (this.#refs > 0) {
      this.#child.ref();
      channel?.ref?.();
    } else {
      this.#child.unref();
      channel?.unref?.();
    }
  }
}
