/**
 * The controller loop: observe a session (its records, the runtime's instances), ask `decide()`
 * (reconcile.ts), carry out the actions, under the session's lock. Commands, recovery, the exit
 * watcher, the periodic resync and the end of a service's start all come through here.
 */
import { appendFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { LABELS, type ServicePlan } from '../plan/index.ts';
import type { RuntimeObject, RuntimeRef } from '../runtime/index.ts';
import { bringUp, type BringUpMode } from './bring-up.ts';
import { allInTurns, BATCH, isWanted, logFile, sessionDir, SPEC_HASH_LABEL, yieldToRequests, type Deps } from './context.ts';
import { SessionError } from './errors.ts';
import { lastLogLines } from './readiness/index.ts';
import { decide, type Action, type Decision, type ObservedInstance, type Trigger } from './reconcile.ts';

export interface RecoveryCounts {
  adopted: number;
  restarted: number;
  removed: number;
}

/** Cancelling work in flight makes the controller look again; more passes than this mean something keeps changing. */
const MAX_PASSES = 3;

export class Controller {
  readonly #deps: Deps;
  /** Sessions with a resync queued and not begun: another one would see the same. */
  readonly #queued = new Set<string>();
  #closed = false;

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  /** Queues a reconcile of the session behind its lock; a reconcile that throws fails the session. */
  queue(sessionUuid: string, trigger: Trigger = 'resync'): void {
    if (this.#closed) return;
    if (trigger === 'resync') {
      if (this.#queued.has(sessionUuid)) return;
      this.#queued.add(sessionUuid);
    }
    void this.#deps.lock
      .run(sessionUuid, () => {
        if (trigger === 'resync') this.#queued.delete(sessionUuid);
        return this.reconcile(sessionUuid, trigger);
      })
      .catch((error: unknown) => this.#deps.records.fail(sessionUuid, error));
  }

  /** One reconcile of the session; the caller holds its lock. */
  async reconcile(sessionUuid: string, trigger: Trigger, counts?: RecoveryCounts): Promise<void> {
    for (let pass = 0; pass < MAX_PASSES && !this.#closed; pass += 1) {
      const decision = await this.#decide(sessionUuid, trigger);
      if (!decision) return;
      const cancels = decision.actions.flatMap((a) => (a.type === 'cancel' ? [a.service] : []));
      if (cancels.length === 0) return this.#execute(sessionUuid, decision, counts);
      await this.#deps.tasks.cancel(sessionUuid, cancels, new SessionError('BERTH_SESSION_STOPPED', { why: 'replaced' }));
    }
  }

  /** Stops starting anything new; work in flight is aborted by the manager. */
  close(): void {
    this.#closed = true;
  }

  async #decide(sessionUuid: string, trigger: Trigger): Promise<Decision | undefined> {
    const { store, plans, tasks } = this.#deps;
    if (!store.getSession(sessionUuid)) return undefined;
    const instances = isWanted(store.getSession(sessionUuid)) ? await this.#observe(sessionUuid) : [];
    // Records, plan and work in flight are read together after the runtime answered, with no await between.
    const session = store.getSession(sessionUuid);
    if (!session) return undefined;
    const plan = isWanted(session) ? plans.get(session).plan : undefined;
    return decide(
      { session: plan ? 'running' : 'stopped', services: plan?.services ?? [] },
      { instances, busy: tasks.busy(sessionUuid) },
      { session, services: store.listServices(sessionUuid) },
      trigger,
    );
  }

  /** The session's instances by label; a recorded instance's state from `inspect`, the runtime's own word on it. */
  async #observe(sessionUuid: string): Promise<ObservedInstance[]> {
    const { runtime, store, tasks, installationId } = this.#deps;
    const objects = await runtime.list({ [LABELS.installation]: installationId, [LABELS.session]: sessionUuid });
    const instances = new Map(objects.map((o) => [o.ref.id, observed(o)]));
    const busy = tasks.busy(sessionUuid);
    let inspected = 0;
    for (const record of store.listServices(sessionUuid)) {
      if (!record.runtimeId || busy.has(record.name)) continue;
      // Local inspects are synchronous reads: let requests in between, however many services run.
      if (++inspected % BATCH === 0) await yieldToRequests();
      const state = await runtime.inspect(this.#ref(sessionUuid, record.name, record.runtimeId));
      const listed = instances.get(record.runtimeId);
      instances.set(record.runtimeId, { id: record.runtimeId, service: listed?.service ?? record.name, specHash: listed?.specHash, state });
    }
    return [...instances.values()];
  }

  async #execute(sessionUuid: string, decision: Decision, counts: RecoveryCounts | undefined): Promise<void> {
    const { actions } = decision;
    if (actions.some((a) => a.type === 'teardown')) return teardown(this.#deps, sessionUuid);
    const session = this.#deps.store.getSession(sessionUuid);
    if (!session) return;
    const planned = new Map(this.#deps.plans.get(session).plan.services.map((s) => [s.name, s]));
    const plan = (name: string): ServicePlan => {
      const service = planned.get(name);
      if (!service) throw new SessionError('BERTH_SESSION_NO_SUCH_SERVICE', { service: name });
      return service;
    };
    await this.#stop(sessionUuid, actions, plan, counts);
    let handled = 0;
    for (const action of actions) {
      // A restarted server listens before it recovers: a session of many services must not hold its requests.
      if (++handled % BATCH === 0) await yieldToRequests();
      await this.#record(sessionUuid, action, plan, counts);
    }
    if (decision.session) this.#deps.records.setSessionStatus(sessionUuid, decision.session.status, decision.session.reason);
    let launched = 0;
    for (const action of actions) {
      if (action.type !== 'start' && action.type !== 'restart' && action.type !== 'adopt' && action.type !== 'rewait') continue;
      // A launch records its service `starting` and syncs its routes at once: 1,000 in one turn held
      // the event loop 135 ms. Between turns a stop may have come (it cancels what was launched).
      if (++launched % BATCH === 0) {
        await yieldToRequests();
        if (this.#closed || !isWanted(this.#deps.store.getSession(sessionUuid))) return;
      }
      const mode: BringUpMode = action.type === 'start' || action.type === 'restart' ? 'start' : 'wait';
      this.#launch(sessionUuid, plan(action.service), mode);
      if (counts && mode === 'start') counts.restarted += 1;
    }
  }

  /**
   * Stops what the actions replace or no longer want, all at once. A live service is marked pending
   * first: the exit watcher reads only `ready` records, so it never takes a stop Berth asked for as a crash.
   */
  async #stop(sessionUuid: string, actions: Action[], plan: (name: string) => ServicePlan, counts: RecoveryCounts | undefined): Promise<void> {
    const stops = actions.flatMap((a) => (a.type === 'restart' || a.type === 'stop' ? [a] : []));
    for (const action of stops) {
      const record = action.service === undefined ? undefined : this.#deps.records.service(sessionUuid, action.service);
      const replaced = action.type === 'restart' || action.why === 'replaced';
      if (replaced && action.service && (record?.status === 'ready' || record?.status === 'starting')) {
        this.#deps.records.setService(sessionUuid, plan(action.service), { status: 'pending' });
      }
    }
    await allInTurns(stops, (a) => this.#deps.runtime.stop(this.#ref(sessionUuid, a.service ?? '', a.id), { graceMs: this.#deps.graceMs }));
    if (counts) counts.removed += stops.filter((a) => a.type === 'stop' && (a.why === 'unplanned' || a.why === 'foreign')).length;
  }

  /** The record each action writes before any work goes in flight. */
  async #record(sessionUuid: string, action: Action, plan: (name: string) => ServicePlan, counts: RecoveryCounts | undefined): Promise<void> {
    const { records, store, runtime } = this.#deps;
    switch (action.type) {
      case 'forget':
        store.deleteService(sessionUuid, action.service);
        return;
      case 'fail':
        records.setService(sessionUuid, plan(action.service), { status: 'failed', reason: action.reason });
        return;
      case 'exited':
        return markExited(this.#deps, sessionUuid, action.service, action.reason);
      case 'rewait':
        return markRewait(this.#deps, sessionUuid, action.service, action.reason);
      case 'adopt': {
        const record = records.service(sessionUuid, action.service);
        records.saveService(sessionUuid, plan(action.service), {
          status: 'starting',
          runtimeId: action.id,
          attempt: record?.attempt ?? 1,
          startedAt: record?.startedAt ?? null,
        });
        if (counts) counts.adopted += 1;
        await runtime.reattachLogs?.(this.#ref(sessionUuid, action.service, action.id), logFile(this.#deps, sessionUuid, action.service));
        return;
      }
      default:
        return;
    }
  }

  #launch(sessionUuid: string, service: ServicePlan, mode: BringUpMode): void {
    const work = (signal: AbortSignal) => bringUp(this.#deps, sessionUuid, service, mode, signal);
    this.#deps.tasks.run(sessionUuid, service.name, service.specHash, work, () => this.#settled(sessionUuid, service.name));
  }

  /** A service is up or failed: look again when a dependent may start now, or when nothing is in flight any more (the session's status). */
  #settled(sessionUuid: string, name: string): void {
    const session = this.#deps.store.getSession(sessionUuid);
    if (!isWanted(session) || !session) return;
    const dependents = this.#deps.plans.get(session).plan.services.some((s) => s.dependsOn.includes(name));
    if (dependents || this.#deps.tasks.count(sessionUuid) === 0) this.queue(sessionUuid);
  }

  #ref(sessionUuid: string, service: string, id: string): RuntimeRef {
    return { runtime: this.#deps.runtime.kind, id, sessionUuid, service };
  }
}

function observed(object: RuntimeObject): ObservedInstance {
  return { id: object.ref.id, service: object.labels[LABELS.service], specHash: object.labels[SPEC_HASH_LABEL], state: object.state };
}

/** Stops every instance of the session and deletes all its state (records, logs, scratch dirs). */
export async function teardown(deps: Deps, sessionUuid: string): Promise<void> {
  const { runtime, store } = deps;
  await deps.tasks.cancel(sessionUuid);
  const objects = await runtime.list({ [LABELS.installation]: deps.installationId, [LABELS.session]: sessionUuid });
  await allInTurns(objects, (o) => runtime.stop(o.ref, { graceMs: deps.graceMs }));
  await runtime.cleanupSession(sessionUuid);
  await rm(sessionDir(deps, sessionUuid), { recursive: true, force: true });
  store.atomically(() => {
    store.deleteServices(sessionUuid);
    store.updateSession(sessionUuid, { desired: 'stopped', status: 'stopped', reason: null });
  });
  deps.plans.delete(sessionUuid);
  deps.records.emit({ type: 'session', sessionUuid, status: 'stopped' });
}

/** A ready service whose instance ended: its record says how, with its last log lines. */
async function markExited(deps: Deps, sessionUuid: string, name: string, reason: string): Promise<void> {
  const before = deps.records.service(sessionUuid, name);
  const lines = await lastLogLines(logFile(deps, sessionUuid, name), 20, true).catch(() => []);
  // Re-read right before the write, with no await between: the record must still be the one judged.
  const current = deps.records.service(sessionUuid, name);
  if (!current || current.runtimeId !== before?.runtimeId || current.status !== 'ready') return;
  deps.store.upsertService({ ...current, status: 'exited', reason, details: { lastLogLines: lines } });
  deps.records.emit({ type: 'service', sessionUuid, service: name, status: 'exited', reason });
}

/**
 * A ready service whose instance waits again without a fatal reason is being replaced by its
 * runtime (kubernetes: a pod evicted or drained, its successor Pending): not a failure, but not
 * ready either. It goes back to `starting`, the restart is written in its log, and its readiness
 * is waited for again on the same instance (within its deadline).
 */
function markRewait(deps: Deps, sessionUuid: string, name: string, reason: string): void {
  const current = deps.records.service(sessionUuid, name);
  if (!current || current.status !== 'ready') return;
  const why = `not ready again: ${reason}`;
  deps.store.upsertService({ ...current, status: 'starting', reason: why, readyAt: null });
  deps.records.emit({ type: 'service', sessionUuid, service: name, status: 'starting', reason: why });
  try {
    appendFileSync(logFile(deps, sessionUuid, name), `--- berth: ${name} restarting (${reason}); waiting for it to be ready again ---\n`);
  } catch {
    // the log directory went with a stop; the record says it all the same
  }
}
