import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { ReadinessError } from './errors.ts';
import { outputStart } from './log-lines.ts';
import type { CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

const MAX_READ = 8 * 1024 * 1024;

/**
 * Ready when a line written after this start's marker matches the pattern. Reads only what is
 * new since the previous attempt.
 */
export class LogCheck implements ReadinessCheck {
  readonly description: string;
  readonly #pattern: RegExp;
  readonly #service: string;
  #offset: number | undefined;
  /** Keeps a UTF-8 sequence split between two reads whole. */
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';
  #lines = 0;

  constructor(service: string, pattern: string) {
    this.#service = service;
    try {
      this.#pattern = new RegExp(pattern);
    } catch (cause) {
      throw new ReadinessError('BERTH_READINESS_INVALID', { service, pattern }, { cause, details: { service, pattern } });
    }
    this.description = `a log line matching /${pattern}/`;
  }

  async attempt(probe: ReadinessProbe): Promise<CheckResult> {
    this.#offset ??= await outputStart(probe.logFile, this.#service);
    let handle;
    try {
      handle = await open(probe.logFile, 'r');
    } catch {
      return { ready: false, detail: `log file ${probe.logFile} does not exist yet` };
    }
    try {
      const size = (await handle.stat()).size;
      if (size < this.#offset) this.#offset = 0; // truncated by someone: what is there now is new
      if (size > this.#offset) {
        // A chatty service may write a lot between attempts: the rest is read next attempt.
        const buffer = Buffer.alloc(Math.min(size - this.#offset, MAX_READ));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
        this.#offset += bytesRead;
        this.#pending += this.#decoder.write(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    const lines = this.#pending.split('\n');
    // The last piece has no newline yet: keep it for the next attempt, but let it match already
    // (a prompt or a progress line may never get one).
    this.#pending = lines.pop() ?? '';
    this.#lines += lines.length;
    const match = [...lines, this.#pending].find((line) => this.#pattern.test(line));
    if (match !== undefined) return { ready: true, detail: `log line: ${match}` };
    return { ready: false, detail: `none of the ${this.#lines} lines logged since the start matched` };
  }
}
