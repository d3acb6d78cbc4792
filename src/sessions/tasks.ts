/**
 * Starts and readiness waits in flight, one per service of a session. They run outside the
 * session's lock, so a restart, apply or stop never queues behind a readiness deadline: the
 * controller cancels the work it no longer wants and looks again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionError } from './errors.ts';

/** How long a cancel waits for the work to notice (a runtime start that ignores its signal must not hold a stop). */
const SETTLE_MS = 5_000;

interface Task {
  controller: AbortController;
  /** The plan hash this work brings up (apply compares it with the new plan). */
  specHash: string;
  done: Promise<void>;
}

export class InFlight {
  readonly #sessions = new Map<string, Map<string, Task>>();

  /** Runs `work` for the service; `onSettled` hears how it ended unless it was cancelled. */
  run(sessionUuid: string, service: string, specHash: string, work: (signal: AbortSignal) => Promise<boolean>, onSettled: (ready: boolean) => void): void {
    const tasks = this.#sessions.get(sessionUuid) ?? new Map<string, Task>();
    this.#sessions.set(sessionUuid, tasks);
    const controller = new AbortController();
    const done = work(controller.signal).then(
      (ready) => {
        if (this.#finish(sessionUuid, service, task) && !controller.signal.aborted) onSettled(ready);
      },
      () => void this.#finish(sessionUuid, service, task),
    );
    const task: Task = { controller, specHash, done };
    tasks.set(service, task);
  }

  /** The services with work in flight, and the plan hash each brings up. */
  busy(sessionUuid: string): Map<string, string> {
    return new Map([...(this.#sessions.get(sessionUuid)?.entries() ?? [])].map(([name, task]) => [name, task.specHash]));
  }

  count(sessionUuid: string): number {
    return this.#sessions.get(sessionUuid)?.size ?? 0;
  }

  /** Aborts the work of these services (all of the session's without names) and waits until it has noticed. */
  async cancel(sessionUuid: string, services?: readonly string[], reason = new SessionError('BERTH_SESSION_STOPPED')): Promise<void> {
    const tasks = this.#sessions.get(sessionUuid);
    if (!tasks) return;
    const cancelled = [...tasks.entries()].filter(([name]) => !services || services.includes(name)).map(([, task]) => task);
    for (const task of cancelled) task.controller.abort(reason);
    await Promise.race([Promise.all(cancelled.map((t) => t.done)), sleep(SETTLE_MS, undefined, { ref: false })]);
  }

  /** Aborts everything without waiting (Berth shuts down: the services keep running for the next one to adopt). */
  abortAll(reason: unknown): void {
    for (const tasks of this.#sessions.values()) for (const task of tasks.values()) task.controller.abort(reason);
  }

  #finish(sessionUuid: string, service: string, task: Task): boolean {
    const tasks = this.#sessions.get(sessionUuid);
    if (tasks?.get(service) !== task) return false;
    tasks.delete(service);
    if (tasks.size === 0) this.#sessions.delete(sessionUuid);
    return true;
  }
}
