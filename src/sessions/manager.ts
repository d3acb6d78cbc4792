/**
 * The session manager: the commands and queries of sessions, over a controller in the way of
 * Kubernetes controllers. Commands (start, stop, restart, apply) only write the desired state (the
 * plan stored with each session, its services' records) and queue a reconcile of that session;
 * recovery after a restart of Berth, the exit watcher and a periodic resync run the same reconcile,
 * which compares with what the runtime has and acts as `decide()` (reconcile.ts) says.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { diffPlans, sessionUuidFor, type SessionPlan, type ServicePlan } from '../plan/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { ServiceRecord, SessionRecord } from '../store/index.ts';
import { toBerthError } from '../shared/index.ts';
import {
  buildContext,
  logFile,
  makePlan,
  makePlanInTurns,
  PlanCache,
  sessionDir,
  sessionLabels,
  storedPlan,
  type Deps,
  type SessionManagerOptions,
  type StartSessionInput,
} from './context.ts';
import { Controller } from './controller.ts';
import { SessionError } from './errors.ts';
import { KeyedLock } from './lock.ts';
import { machinePressure, Slots } from './slots.ts';
import { Records, type SessionEvent } from './records.ts';
import { recoverSessions } from './recover.ts';
import { InFlight } from './tasks.ts';
import { prepareSessionView, sessionUpdate, sessionView, userServicesJson, type SessionUpdate, type SessionView, type ViewSources } from './views.ts';
import { Watcher } from './watcher.ts';

export { SPEC_HASH_LABEL, type SessionManagerOptions, type StartSessionInput } from './context.ts';
export type { SessionEvent } from './records.ts';
export type { SessionUpdate, SessionView, ServiceView } from './views.ts';

export interface ApplyResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export class SessionManager extends EventEmitter<{ event: [SessionEvent] }> {
  readonly #d: Deps;
  readonly #controller: Controller;
  readonly #watcher: Watcher;

  constructor(options: SessionManagerOptions) {
    super();
    const { watchIntervalMs = 1_000, resyncMs = 30_000, maxParallelStarts = 8, graceMs = 5_000, ...rest } = options;
    const records = new Records(options.store, options.logger, (event) => this.emit('event', event));
    this.#d = { ...rest, graceMs, lock: new KeyedLock(), starts: new Slots(maxParallelStarts, { pressure: machinePressure() }), tasks: new InFlight(), records, plans: new PlanCache() };
    this.#controller = new Controller(this.#d);
    this.#watcher = new Watcher(this.#d, this.#controller, { intervalMs: watchIntervalMs, resyncMs });
  }

  get runtime(): Runtime {
    return this.#d.runtime;
  }

  logFile(sessionUuid: string, service: string): string {
    return logFile(this.#d, sessionUuid, service);
  }

  /**
   * Plans and records a session, then brings its services up in the background. Resolves as soon
   * as the session is recorded (status `starting`); watch events or poll `get()` for progress.
   * Starting a session that is already starting or running returns it unchanged. A failed or
   * stopped session starts anew: every service pending, so what still runs is replaced.
   */
  async start(input: StartSessionInput): Promise<SessionView> {
    const context = buildContext(this.#d, input);
    const sessionUuid = sessionUuidFor(context);
    const existing = this.#d.store.getSession(sessionUuid);
    if (existing && (existing.status === 'starting' || existing.status === 'running') && existing.desired === 'running') return this.get(sessionUuid);
    // Planning 1,000 services takes 60-70 ms: other requests are answered in between.
    const plan = await makePlanInTurns(input.spec, context);
    const stored = storedPlan(plan, context);
    await this.#d.lock.run(sessionUuid, async () => {
      await this.#d.tasks.cancel(sessionUuid);
      const { store } = this.#d;
      store.atomically(() => {
        store.upsertSession({
          uuid: sessionUuid,
          projectUuid: input.projectUuid,
          pipelineUuid: input.spec.uuid,
          pipelinePath: input.pipelinePath,
          type: input.type,
          runtime: this.#d.runtime.kind,
          desired: 'running',
          status: 'starting',
          reason: null,
          planJson: stored.json,
        });
        // A service without a record is pending (views and the reconcile read it so): the controller
        // writes each record as it acts, in turns, where 1,000 written here held the event loop 60 ms.
        store.deleteServices(sessionUuid);
      });
      this.#d.plans.remember(sessionUuid, stored);
      await mkdir(join(sessionDir(this.#d, sessionUuid), 'logs'), { recursive: true });
      await this.#prepare(sessionUuid, plan);
    });
    this.emit('event', { type: 'session', sessionUuid, status: 'starting' });
    this.#controller.queue(sessionUuid, 'command');
    this.#watcher.ensure();
    return this.view(sessionUuid);
  }

  /** Stops every service of the session and deletes all their state (logs, scratch dirs). */
  async stop(sessionUuid: string): Promise<SessionView> {
    this.#requireSession(sessionUuid);
    // Starts and readiness waits end now, not when the lock comes round.
    void this.#d.tasks.cancel(sessionUuid);
    this.#d.store.updateSession(sessionUuid, { desired: 'stopped', status: 'stopping' });
    this.emit('event', { type: 'session', sessionUuid, status: 'stopping' });
    await this.#d.lock.run(sessionUuid, () => this.#controller.reconcile(sessionUuid, 'command'));
    return this.get(sessionUuid);
  }

  /** Restarts one service (or every service) of a running session without touching the others. */
  async restart(sessionUuid: string, service?: string): Promise<SessionView> {
    const { plan } = this.#d.plans.get(this.#requireActive(sessionUuid));
    const targets = service ? [requirePlannedService(plan, service)] : plan.services;
    await this.#d.lock.run(sessionUuid, async () => {
      // Work in flight for them ends first, so its last write cannot land on the restart's.
      await this.#d.tasks.cancel(sessionUuid, targets.map((s) => s.name), new SessionError('BERTH_SESSION_STOPPED', { why: 'restart' }));
      for (const target of targets) this.#d.records.setService(sessionUuid, target, { status: 'pending' });
      this.#d.records.setSessionStatus(sessionUuid, 'starting', null);
    });
    this.#controller.queue(sessionUuid, 'command');
    return this.get(sessionUuid);
  }

  /**
   * Re-plans from the edited pipeline and stores the plan: the reconcile starts added services,
   * stops removed ones and restarts those whose instance runs another plan. A plan that cannot be
   * made leaves the running session untouched. The result compares the plans, for the user.
   */
  async apply(sessionUuid: string, input: Omit<StartSessionInput, 'type' | 'runUuid'>): Promise<ApplyResult> {
    const { previous, next, context } = this.#replan(sessionUuid, input);
    const stored = storedPlan(next, context);
    await this.#d.lock.run(sessionUuid, async () => {
      this.#d.store.updateSession(sessionUuid, { planJson: stored.json, status: 'starting', reason: null });
      this.#d.plans.remember(sessionUuid, stored);
    });
    this.emit('event', { type: 'session', sessionUuid, status: 'starting' });
    this.#controller.queue(sessionUuid, 'command');
    return diffPlans(previous, next);
  }

  /** What apply() would restart, start and stop for this spec, without doing it ("the file changed since the start"). */
  previewApply(sessionUuid: string, input: Omit<StartSessionInput, 'type' | 'runUuid'>): ApplyResult {
    const { previous, next } = this.#replan(sessionUuid, input);
    return diffPlans(previous, next);
  }

  /** One service's record (status, endpoints), without building the whole session's view. */
  serviceRecord(sessionUuid: string, name: string): ServiceRecord | undefined {
    return this.#d.store.getService(sessionUuid, name);
  }

  get(sessionUuid: string): SessionView {
    return this.#view(this.#requireSession(sessionUuid));
  }

  /**
   * get(), for answers: what the view takes from a newly made or loaded plan is first built in turns
   * (a session's first view after its start or a restart of Berth held the event loop 30-50 ms).
   */
  async view(sessionUuid: string): Promise<SessionView> {
    return (await this.#preparedView(sessionUuid)).view;
  }

  /**
   * view(), with only the services that changed since a cursor an earlier update gave (all of them
   * without one): what a client following a session polls.
   */
  async updates(sessionUuid: string, since?: string): Promise<SessionUpdate> {
    const { view, plan } = await this.#preparedView(sessionUuid);
    return sessionUpdate(view, plan, since);
  }

  /** Orchest's session.user_services as JSON: the session's services as started, for the SDK. */
  userServicesJson(sessionUuid: string): Promise<string> {
    return userServicesJson(this.#d.plans.get(this.#requireSession(sessionUuid)).plan, this.#d.runtime);
  }

  find(sessionUuid: string): SessionRecord | undefined {
    return this.#d.store.getSession(sessionUuid);
  }

  list(filter: { projectUuid?: string; activeOnly?: boolean } = {}): SessionView[] {
    return this.#d.store.listSessions(filter).map((s) => this.#view(s));
  }

  /** The sessions' records, without the views of their services `list` builds (for Berth's own bookkeeping). */
  records(filter: { projectUuid?: string; activeOnly?: boolean } = {}): SessionRecord[] {
    return this.#d.store.listSessions(filter);
  }

  /** The stored plan of an active session (for routes and the SDK). */
  plan(sessionUuid: string): SessionPlan {
    return this.#d.plans.get(this.#requireSession(sessionUuid)).plan;
  }

  /** Resolves when the session is no longer starting (running, failed or stopped) or the timeout passes. */
  async waitSettled(sessionUuid: string, timeoutMs = 120_000): Promise<SessionView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = this.get(sessionUuid);
      if ((view.status !== 'starting' && view.status !== 'stopping') || Date.now() > deadline) return view;
      await new Promise<void>((resolve) => {
        const onEvent = (event: SessionEvent) => {
          if (event.sessionUuid === sessionUuid && event.type === 'session') done();
        };
        const done = () => {
          clearTimeout(timer);
          this.off('event', onEvent);
          resolve();
        };
        const timer = setTimeout(done, 250);
        this.on('event', onEvent);
      });
    }
  }

  /**
   * After Berth restarts: each active session is reconciled (adopt instances that still run the
   * planned spec, restart the rest, finish interrupted stops), then every object of this
   * installation no session wants is removed.
   */
  async recover(): Promise<{ adopted: number; restarted: number; removed: number }> {
    const { wanted, ...counts } = await recoverSessions(this.#d, this.#controller);
    if (wanted > 0) this.#watcher.ensure();
    this.#d.logger.info(counts, 'recovered sessions');
    return counts;
  }

  /** Stops watching; services keep running (a restarted Berth adopts them). */
  async close(): Promise<void> {
    this.#watcher.close();
    this.#controller.close();
    this.#d.tasks.abortAll(new SessionError('BERTH_SESSION_SHUTDOWN'));
    await this.#d.lock.idle();
  }

  /** Runtime setup of the session; a runtime that cannot set it up fails it (no session stays starting with nothing to start it). */
  async #prepare(sessionUuid: string, plan: SessionPlan): Promise<void> {
    try {
      await this.#d.runtime.prepareSession(sessionUuid, sessionLabels(this.#d.installationId, plan));
    } catch (cause) {
      const error = toBerthError(cause);
      for (const service of plan.services) this.#d.records.setService(sessionUuid, service, { status: 'failed', reason: `not started: ${error.message}` });
      this.#d.records.setSessionStatus(sessionUuid, 'failed', error.message);
      throw cause;
    }
  }

  #replan(sessionUuid: string, input: Omit<StartSessionInput, 'type' | 'runUuid'>): { previous: SessionPlan; next: SessionPlan; context: ReturnType<typeof buildContext> } {
    const session = this.#requireActive(sessionUuid);
    const stored = this.#d.plans.get(session);
    const context = buildContext(this.#d, { ...input, type: session.type, ...(stored.context.runUuid ? { runUuid: stored.context.runUuid } : {}) });
    return { previous: stored.plan, next: makePlan(input.spec, context), context };
  }

  #view(session: SessionRecord): SessionView {
    return sessionView(session, this.#viewSources(session));
  }

  /** The view and the plan it was made from, in one turn after the view's parts were made in turns. */
  async #preparedView(sessionUuid: string): Promise<{ view: SessionView; plan: SessionPlan }> {
    const session = this.#requireSession(sessionUuid);
    await prepareSessionView(session, this.#viewSources(session));
    const current = this.#d.store.getSession(sessionUuid) ?? session;
    const sources = this.#viewSources(current);
    return { view: sessionView(current, sources), plan: sources.plan };
  }

  #viewSources(session: SessionRecord): ViewSources {
    const logFile = (service: string) => this.logFile(session.uuid, service);
    return { plan: this.#d.plans.get(session).plan, records: this.#d.store.listServices(session.uuid), runtime: this.#d.runtime, logFile };
  }

  #requireSession(sessionUuid: string): SessionRecord {
    const session = this.#d.store.getSession(sessionUuid);
    if (!session) throw new SessionError('BERTH_SESSION_NOT_FOUND', { sessionUuid });
    return session;
  }

  #requireActive(sessionUuid: string): SessionRecord {
    const session = this.#requireSession(sessionUuid);
    if (session.desired !== 'running' || session.status === 'stopped' || session.status === 'stopping') {
      throw new SessionError('BERTH_SESSION_NOT_RUNNING', { sessionUuid, status: session.status });
    }
    return session;
  }
}

function requirePlannedService(plan: SessionPlan, name: string): ServicePlan {
  const service = plan.services.find((s) => s.name === name);
  if (!service) {
    throw new SessionError('BERTH_SESSION_NO_SUCH_SERVICE', { service: name, services: plan.services.map((s) => s.name) });
  }
  return service;
}
