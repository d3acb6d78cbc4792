/**
 * The exit watcher and the periodic resync. Each tick reads the state of every ready service's
 * instance (cheap: what the runtime has at hand) and queues a reconcile of a session where one is
 * not running; every `resyncMs` each wanted session is reconciled whatever the ticks saw. What to
 * do about it is decide()'s: a resync marks an instance that ended `exited` and never restarts it.
 * A runtime that is told of exits (the local one, by its launcher) reports them as they happen:
 * the ticks skip its instances until one has exited.
 */
import type { RuntimeRef } from '../runtime/index.ts';
import { BATCH, isWanted, yieldToRequests, type Deps } from './context.ts';
import type { Controller } from './controller.ts';

export class Watcher {
  readonly #deps: Deps;
  readonly #controller: Controller;
  readonly #intervalMs: number;
  readonly #resyncMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastResync = 0;
  #closed = false;
  readonly #unlisten: (() => void) | undefined;

  constructor(deps: Deps, controller: Controller, options: { intervalMs: number; resyncMs: number }) {
    this.#deps = deps;
    this.#controller = controller;
    this.#intervalMs = options.intervalMs;
    this.#resyncMs = options.resyncMs;
    this.#unlisten = deps.runtime.exits?.listen((ref) => this.#exited(ref));
  }

  /** Starts ticking (once a session is wanted); an idle Berth runs no timer. */
  ensure(): void {
    if (this.#timer || this.#closed) return;
    this.#lastResync = Date.now();
    this.#timer = setInterval(() => void this.#tick().catch((e: unknown) => this.#deps.logger.warn({ err: e }, 'watch failed')), this.#intervalMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    this.#unlisten?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** An exit the runtime told: the session is reconciled now, as a tick would have it. */
  #exited(ref: RuntimeRef): void {
    const { store, tasks } = this.#deps;
    if (this.#closed || !isWanted(store.getSession(ref.sessionUuid))) return;
    const record = store.getService(ref.sessionUuid, ref.service);
    // Not ready yet, or with work in flight: that work inspects the instance itself (and a tick does after it).
    if (record?.status !== 'ready' || record.runtimeId !== ref.id || tasks.busy(ref.sessionUuid).has(ref.service)) return;
    this.#controller.queue(ref.sessionUuid);
  }

  async #tick(): Promise<void> {
    const resync = Date.now() - this.#lastResync >= this.#resyncMs;
    if (resync) this.#lastResync = Date.now();
    let inspected = 0;
    const { runtime } = this.#deps;
    for (const session of this.#deps.store.listSessions({ activeOnly: true })) {
      if (!isWanted(session)) continue;
      if (resync) {
        this.#controller.queue(session.uuid);
        continue;
      }
      const busy = this.#deps.tasks.busy(session.uuid);
      for (const record of this.#deps.store.listServices(session.uuid)) {
        if (record.status !== 'ready' || !record.runtimeId || busy.has(record.name)) continue;
        const ref = { runtime: runtime.kind, id: record.runtimeId, sessionUuid: session.uuid, service: record.name };
        if (runtime.exits?.tells(ref)) continue;
        if (++inspected % BATCH === 0) await yieldToRequests();
        const state = await runtime.inspect(ref);
        if (state.state === 'running') continue;
        this.#controller.queue(session.uuid);
        break;
      }
    }
  }
}
