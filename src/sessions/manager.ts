/**
 * The session manager: a reconcile loop in the way of Kubernetes controllers. The desired state
 * is the plan stored with each session; the actual state is what the runtime lists by labels.
 * Start, apply, restart, stop and recovery after a crash of Berth itself are the same steps:
 * compare, then start what is missing or changed and stop what should not run.
 */
import { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  diffPlans,
  planSession,
  sdkServiceView,
  sessionUuidFor,
  type SessionContext,
  type SessionPlan,
  type ServicePlan,
  LABELS,
} from '../plan/index.ts';
import type { Runtime, RuntimeObject, RuntimeRef } from '../runtime/index.ts';
import type { CoreStore, ServiceRecord, ServiceStatus, SessionRecord, SessionStatus } from '../store/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import { BerthError, toBerthError } from '../shared/index.ts';
import { KeyedLock, Slots } from './lock.ts';
import { SessionError } from './errors.ts';
import { lastLogLines, runtimeProbe, waitForReadiness } from './readiness/index.ts';

/** Label carrying the plan hash on runtime objects, so recovery can tell a stale instance. */
export const SPEC_HASH_LABEL = 'berth.spec-hash';

export interface SessionManagerOptions {
  store: CoreStore;
  runtime: Runtime;
  installationId: string;
  /** Berth's data directory: session logs live under `<stateDir>/sessions/<sid>/logs`. */
  stateDir: string;
  /** The shared data directory mounted as Orchest's `/data`. */
  sharedDataDir: string;
  logger: Logger;
  /** Resolves `environment@<uuid>` images for a project (pinned for the session's lifetime). */
  resolveEnvironmentImages?: (projectUuid: string, environmentUuids: string[]) => Record<string, string>;
  graceMs?: number;
  /** How often running services are checked for unexpected exits. */
  watchIntervalMs?: number;
  /** Services being started (runtime.start) at once, across sessions; readiness waits are not limited. Default 8. */
  maxParallelStarts?: number;
}

export interface StartSessionInput {
  projectUuid: string;
  /** Pipeline file path relative to projectDir. */
  pipelinePath: string;
  spec: PipelineSpec;
  projectDir: string;
  type: 'interactive' | 'noninteractive';
  runUuid?: string;
  userEnv: Record<string, string>;
}

/** Services the exit watcher and recovery handle before they let the event loop answer requests. */
const BATCH = 25;

function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A session whose services should run: recorded, not stopped and not being stopped. */
function isWanted(session: SessionRecord | undefined): boolean {
  return session !== undefined && session.status !== 'stopped' && session.status !== 'stopping' && session.desired !== 'stopped';
}

/** What a session row keeps of its plan (the context without secrets). */
interface StoredPlan {
  plan: SessionPlan;
  context: Partial<SessionContext>;
}

export type SessionEvent =
  | { type: 'session'; sessionUuid: string; status: SessionStatus; reason?: string | null }
  | { type: 'service'; sessionUuid: string; service: string; status: ServiceStatus; reason?: string | null }
  | { type: 'progress'; sessionUuid: string; service: string; line: string };

export interface ServiceView extends Omit<ServiceRecord, 'sessionUuid'> {
  hostname: string;
  internalHostname: string;
  ports: number[];
  exposed: boolean;
  urls: string[];
  logFile: string;
}

export interface SessionView extends Omit<SessionRecord, 'planJson'> {
  services: ServiceView[];
  warnings: string[];
  /** Orchest's session.user_services: the specs as started (the SDK's interactive source). */
  userServices: Record<string, unknown>;
  /** The local runtime's isolation of this session: `namespace` (its own network) or `host` (host ports). */
  isolation?: string;
}

export interface ApplyResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export class SessionManager extends EventEmitter<{ event: [SessionEvent] }> {
  readonly #o: Required<Omit<SessionManagerOptions, 'resolveEnvironmentImages'>> &
    Pick<SessionManagerOptions, 'resolveEnvironmentImages'>;
  readonly #lock = new KeyedLock();
  /** Aborts in-flight starts and readiness waits of a session when it is stopped. */
  readonly #aborts = new Map<string, AbortController>();
  readonly #plans = new Map<string, { json: string; value: StoredPlan }>();
  readonly #starts: Slots;
  #watcher: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SessionManagerOptions) {
    super();
    this.#o = { graceMs: 5_000, watchIntervalMs: 1_000, maxParallelStarts: 8, ...options };
    this.#starts = new Slots(this.#o.maxParallelStarts);
  }

  get runtime(): Runtime {
    return this.#o.runtime;
  }

  logFile(sessionUuid: string, service: string): string {
    return join(this.#sessionDir(sessionUuid), 'logs', `${service}.log`);
  }

  /**
   * Plans and records a session, then brings its services up in the background. Resolves as soon
   * as the session is recorded (status `starting`); watch events or poll `get()` for progress.
   * Starting a session that is already starting or running returns it unchanged.
   */
  async start(input: StartSessionInput): Promise<SessionView> {
    const context = this.#context(input);
    const sessionUuid = sessionUuidFor(context);
    const existing = this.#o.store.getSession(sessionUuid);
    if (existing && (existing.status === 'starting' || existing.status === 'running') && existing.desired === 'running') {
      return this.get(sessionUuid);
    }
    const plan = this.#plan(input.spec, context);
    await this.#lock.run(sessionUuid, async () => {
      this.#o.store.upsertSession({
        uuid: sessionUuid,
        projectUuid: input.projectUuid,
        pipelineUuid: input.spec.uuid,
        pipelinePath: input.pipelinePath,
        type: input.type,
        runtime: this.#o.runtime.kind,
        desired: 'running',
        status: 'starting',
        reason: null,
        planJson: JSON.stringify({ plan, context: redactContext(context) }),
      });
      for (const record of this.#o.store.listServices(sessionUuid)) this.#o.store.deleteService(sessionUuid, record.name);
      for (const service of plan.services) this.#saveService(sessionUuid, service, { status: 'pending' });
      await mkdir(join(this.#sessionDir(sessionUuid), 'logs'), { recursive: true });
      await this.#o.runtime.prepareSession(sessionUuid, sessionLabels(this.#o.installationId, plan));
    });
    this.#emit({ type: 'session', sessionUuid, status: 'starting' });
    void this.#lock.run(sessionUuid, () => this.#reconcile(sessionUuid)).catch((error) => this.#fail(sessionUuid, error));
    this.#ensureWatcher();
    return this.get(sessionUuid);
  }

  /** Stops every service of the session and deletes all their state (logs, scratch dirs). */
  async stop(sessionUuid: string): Promise<SessionView> {
    const session = this.#requireSession(sessionUuid);
    this.#aborts.get(sessionUuid)?.abort(new SessionError('BERTH_SESSION_STOPPED', 'the session was stopped'));
    this.#o.store.updateSession(sessionUuid, { desired: 'stopped', status: 'stopping' });
    this.#emit({ type: 'session', sessionUuid, status: 'stopping' });
    await this.#lock.run(sessionUuid, () => this.#teardown(sessionUuid));
    return { ...this.#view(this.#requireSession(session.uuid)) };
  }

  /** Restarts one service (or every service) of a running session without touching the others. */
  async restart(sessionUuid: string, service?: string): Promise<SessionView> {
    const { plan } = this.#storedPlan(this.#requireActive(sessionUuid));
    const targets = service ? [this.#requirePlannedService(plan, service)] : plan.services;
    await this.#lock.run(sessionUuid, async () => {
      await this.#stopAsPending(sessionUuid, targets);
      this.#setSessionStatus(sessionUuid, 'starting', null);
    });
    void this.#lock.run(sessionUuid, () => this.#reconcile(sessionUuid)).catch((error) => this.#fail(sessionUuid, error));
    return this.get(sessionUuid);
  }

  /**
   * Re-plans from the edited pipeline: starts added services, stops removed ones, restarts only
   * those whose plan changed. A plan that cannot be made leaves the running session untouched.
   */
  async apply(sessionUuid: string, input: Omit<StartSessionInput, 'type' | 'runUuid'>): Promise<ApplyResult> {
    const session = this.#requireActive(sessionUuid);
    const stored = this.#storedPlan(session);
    const context = this.#context({ ...input, type: session.type, ...(stored.context.runUuid ? { runUuid: stored.context.runUuid } : {}) });
    const next = this.#plan(input.spec, context);
    const diff = diffPlans(stored.plan, next);
    await this.#lock.run(sessionUuid, async () => {
      const going = new Set([...diff.removed, ...diff.changed]);
      await this.#stopAsPending(sessionUuid, stored.plan.services.filter((s) => going.has(s.name)));
      for (const name of diff.removed) this.#o.store.deleteService(sessionUuid, name);
      for (const service of next.services) {
        if (diff.added.includes(service.name) || diff.changed.includes(service.name)) {
          this.#saveService(sessionUuid, service, { status: 'pending' });
        }
      }
      this.#o.store.updateSession(sessionUuid, {
        planJson: JSON.stringify({ plan: next, context: redactContext(context) }),
        status: 'starting',
        reason: null,
      });
    });
    this.#emit({ type: 'session', sessionUuid, status: 'starting' });
    void this.#lock.run(sessionUuid, () => this.#reconcile(sessionUuid)).catch((error) => this.#fail(sessionUuid, error));
    return diff;
  }

  /** One service's record (status, endpoints), without building the whole session's view. */
  serviceRecord(sessionUuid: string, name: string): ServiceRecord | undefined {
    return this.#o.store.getService(sessionUuid, name);
  }

  get(sessionUuid: string): SessionView {
    return this.#view(this.#requireSession(sessionUuid));
  }

  find(sessionUuid: string): SessionRecord | undefined {
    return this.#o.store.getSession(sessionUuid);
  }

  list(filter: { projectUuid?: string; activeOnly?: boolean } = {}): SessionView[] {
    return this.#o.store.listSessions(filter).map((s) => this.#view(s));
  }

  /** The sessions' records, without the views of their services `list` builds (for Berth's own bookkeeping). */
  records(filter: { projectUuid?: string; activeOnly?: boolean } = {}): SessionRecord[] {
    return this.#o.store.listSessions(filter);
  }

  /** The stored plan of an active session (for routes and the SDK). */
  plan(sessionUuid: string): SessionPlan {
    return this.#storedPlan(this.#requireSession(sessionUuid)).plan;
  }

  /** What apply() would restart, start and stop for this spec, without doing it ("the file changed since the start"). */
  previewApply(sessionUuid: string, input: Omit<StartSessionInput, 'type' | 'runUuid'>): ApplyResult {
    const session = this.#requireActive(sessionUuid);
    const stored = this.#storedPlan(session);
    const context = this.#context({ ...input, type: session.type, ...(stored.context.runUuid ? { runUuid: stored.context.runUuid } : {}) });
    return diffPlans(stored.plan, this.#plan(input.spec, context));
  }

  /** Resolves when the session is no longer starting (running, failed or stopped) or the timeout passes. */
  async waitSettled(sessionUuid: string, timeoutMs = 120_000): Promise<SessionView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = this.get(sessionUuid);
      if (view.status !== 'starting' && view.status !== 'stopping') return view;
      if (Date.now() > deadline) return view;
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
   * After Berth restarts: adopt instances that still run the planned spec, restart the rest,
   * finish interrupted stops, and remove any object of this installation no session wants.
   */
  async recover(): Promise<{ adopted: number; restarted: number; removed: number }> {
    const counts = { adopted: 0, restarted: 0, removed: 0 };
    const runtime = this.#o.runtime;
    const active = this.#o.store.listSessions({ activeOnly: true });
    const wanted = new Set(active.filter(isWanted).map((s) => s.uuid));
    // Each session on its own: one whose runtime calls hang or fail does not hold up the others.
    await Promise.all(
      active.map((session) =>
        this.#lock.run(session.uuid, () => this.#recoverSession(session, counts)).catch((error: unknown) => this.#fail(session.uuid, error)),
      ),
    );
    const orphans = (await runtime.list({ [LABELS.installation]: this.#o.installationId })).filter(
      (o) => !wanted.has(o.labels[LABELS.session] ?? ''),
    );
    // What a session holds without any instance (local: a namespace holder) is found by session, not by instance.
    const held = ((await runtime.heldSessions?.()) ?? []).filter((sessionUuid) => !wanted.has(sessionUuid));
    for (const sessionUuid of new Set([...orphans.map((o) => o.ref.sessionUuid), ...held])) {
      const objects = orphans.filter((o) => o.ref.sessionUuid === sessionUuid);
      await this.#lock.run(sessionUuid, () => this.#removeOrphan(sessionUuid, objects, counts));
    }
    if (wanted.size > 0) this.#ensureWatcher();
    this.#o.logger.info(counts, 'recovered sessions');
    return counts;
  }

  /**
   * Removes what the runtime has of a session nobody wanted when recovery began (under the session's
   * lock). The server listens before it recovers, so a user may have started the session since: the
   * store decides again, and a session wanted now keeps its instances and holder.
   */
  async #removeOrphan(sessionUuid: string, objects: RuntimeObject[], counts: { removed: number }): Promise<void> {
    if (isWanted(this.#o.store.getSession(sessionUuid))) return;
    for (const object of objects) {
      await this.#o.runtime.stop(object.ref, { graceMs: this.#o.graceMs });
      counts.removed += 1;
    }
    await this.#o.runtime.cleanupSession(sessionUuid);
  }

  /** Adopts what still runs as planned, restarts the rest, removes what the plan no longer has (under the session's lock). */
  async #recoverSession(session: SessionRecord, counts: { adopted: number; restarted: number; removed: number }): Promise<void> {
    const runtime = this.#o.runtime;
    if (session.desired === 'stopped' || session.status === 'stopping') {
      await this.#teardown(session.uuid);
      return;
    }
    const { plan } = this.#storedPlan(session);
    const objects = await runtime.list({ [LABELS.installation]: this.#o.installationId, [LABELS.session]: session.uuid });
    const objectOf = new Map<string | undefined, (typeof objects)[number]>();
    for (const object of objects) if (!objectOf.has(object.labels[LABELS.service])) objectOf.set(object.labels[LABELS.service], object);
    let handled = 0;
    for (const service of plan.services) {
      // A restarted server listens before it recovers: a session of many services must not hold its requests.
      if (++handled % BATCH === 0) await yieldToRequests();
      const object = objectOf.get(service.name);
      if (object && object.state.state === 'running' && object.labels[SPEC_HASH_LABEL] === service.specHash) {
        counts.adopted += 1;
        const record = this.#service(session.uuid, service.name);
        this.#saveService(session.uuid, service, {
          status: 'starting',
          runtimeId: object.ref.id,
          attempt: record?.attempt ?? 1,
          startedAt: record?.startedAt ?? null,
        });
        await runtime.reattachLogs?.(object.ref, this.logFile(session.uuid, service.name));
      } else {
        if (object) await runtime.stop(object.ref, { graceMs: this.#o.graceMs });
        counts.restarted += 1;
        this.#saveService(session.uuid, service, { status: 'pending' });
      }
    }
    const planned = new Set(plan.services.map((s) => s.name));
    for (const object of objects) {
      if (!planned.has(object.labels[LABELS.service] ?? '')) {
        await runtime.stop(object.ref, { graceMs: this.#o.graceMs });
        counts.removed += 1;
      }
    }
    this.#setSessionStatus(session.uuid, 'starting', null);
    void this.#lock.run(session.uuid, () => this.#reconcile(session.uuid)).catch((error) => this.#fail(session.uuid, error));
  }

  /** Stops watching; services keep running (a restarted Berth adopts them). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watcher) clearInterval(this.#watcher);
    for (const controller of this.#aborts.values()) controller.abort(new SessionError('BERTH_SESSION_SHUTDOWN', 'Berth is shutting down'));
    await this.#lock.idle();
  }

  // --- reconcile --------------------------------------------------------------------------------

  /** Brings every planned service that is not ready (pending) up, honouring depends_on. */
  async #reconcile(sessionUuid: string): Promise<void> {
    const session = this.#o.store.getSession(sessionUuid);
    if (!session || session.desired !== 'running') return;
    const { plan } = this.#storedPlan(session);
    const controller = new AbortController();
    this.#aborts.set(sessionUuid, controller);
    const ready = new Map<string, Promise<boolean>>();
    const bringUp = (service: ServicePlan): Promise<boolean> => {
      let promise = ready.get(service.name);
      if (promise) return promise;
      promise = (async () => {
        const deps = service.dependsOn.map((name) => plan.services.find((s) => s.name === name)).filter((s) => s !== undefined);
        const depsReady = await Promise.all(deps.map(bringUp));
        const failedDep = deps.find((_d, i) => !depsReady[i]);
        if (failedDep) {
          this.#saveService(sessionUuid, service, {
            status: 'failed',
            reason: `not started: it depends on ${failedDep.name}, which did not become ready`,
          });
          this.#emit({ type: 'service', sessionUuid, service: service.name, status: 'failed' });
          return false;
        }
        return this.#bringUp(sessionUuid, service, controller.signal);
      })();
      ready.set(service.name, promise);
      return promise;
    };
    try {
      await Promise.all(plan.services.map(bringUp));
    } finally {
      if (this.#aborts.get(sessionUuid) === controller) this.#aborts.delete(sessionUuid);
    }
    if (controller.signal.aborted) return;
    this.#updateSessionStatus(sessionUuid);
  }

  /** Starts one service if it is not already ready, then waits for its readiness. */
  async #bringUp(sessionUuid: string, service: ServicePlan, signal: AbortSignal): Promise<boolean> {
    const runtime = this.#o.runtime;
    const record = this.#service(sessionUuid, service.name);
    if (record?.status === 'ready') return true;
    const logFile = this.logFile(sessionUuid, service.name);
    let ref: RuntimeRef | undefined;
    if (record?.status === 'starting' && record.runtimeId) {
      // Adopted after a restart of Berth: the instance runs; only readiness is re-checked.
      ref = { runtime: runtime.kind, id: record.runtimeId, sessionUuid, service: service.name };
    }
    const attempt = (record?.attempt ?? 0) + (ref ? 0 : 1);
    try {
      if (!ref) {
        this.#saveService(sessionUuid, service, { status: 'starting', attempt, startedAt: new Date().toISOString() });
        this.#emit({ type: 'service', sessionUuid, service: service.name, status: 'starting' });
        ref = await this.#starts.run(async () => {
          signal.throwIfAborted();
          return runtime.start(withHashLabel(service), {
            logFile,
            signal,
            onProgress: (line) => this.#emit({ type: 'progress', sessionUuid, service: service.name, line }),
          });
        });
        this.#saveService(sessionUuid, service, { status: 'starting', attempt, runtimeId: ref.id, startedAt: new Date().toISOString() });
      }
      const started = ref;
      const { readyAt } = await waitForReadiness(service, runtimeProbe(runtime, started, service, { logFile, signal }));
      const endpoints: Record<string, { host: string; port: number }> = {};
      for (const port of service.ports) endpoints[String(port)] = await runtime.endpoint(started, port);
      // "ready (N s)" is the instance's own start to the first check that passed, not Berth's
      // bookkeeping around it (an image pull, a poll interval, this save).
      const instanceStart = await runtime.inspect(started).then((state) => (state.state === 'running' ? state.startedAt : undefined), () => undefined);
      this.#saveService(sessionUuid, service, {
        status: 'ready',
        attempt,
        runtimeId: started.id,
        endpoints,
        ...(instanceStart && Date.parse(instanceStart) <= readyAt ? { startedAt: new Date(Date.parse(instanceStart)).toISOString() } : {}),
        readyAt: new Date(readyAt).toISOString(),
      });
      this.#emit({ type: 'service', sessionUuid, service: service.name, status: 'ready' });
      return true;
    } catch (cause) {
      if (signal.aborted) return false;
      const error = toBerthError(cause, (message, options) => new SessionError('BERTH_SESSION_SERVICE_FAILED', message, options));
      const details = (error.details ?? {}) as { lastLogLines?: string[] };
      const lines = details.lastLogLines ?? (await lastLogLines(logFile, 20, true).catch(() => []));
      // A service that failed its start is stopped, so a failed session holds no half-started work.
      if (ref) await runtime.stop(ref, { graceMs: this.#o.graceMs }).catch(() => undefined);
      this.#saveService(sessionUuid, service, {
        status: 'failed',
        reason: error.message,
        details: { code: error.code, hint: error.hint, lastLogLines: lines },
        attempt,
        runtimeId: null,
      });
      this.#emit({ type: 'service', sessionUuid, service: service.name, status: 'failed', reason: error.message });
      return false;
    }
  }

  /**
   * Marks the services pending, then stops them: the exit watcher acts only on `ready` records, so
   * it never reads a stop Berth asked for as a crash (which flashed the session "failed").
   */
  async #stopAsPending(sessionUuid: string, services: ServicePlan[]): Promise<void> {
    for (const service of services) {
      this.#saveService(sessionUuid, service, { status: 'pending' });
      this.#emit({ type: 'service', sessionUuid, service: service.name, status: 'pending' });
    }
    await Promise.all(services.map((service) => this.#stopService(sessionUuid, service.name)));
  }

  async #stopService(sessionUuid: string, name: string): Promise<void> {
    const objects = await this.#o.runtime.list({
      [LABELS.installation]: this.#o.installationId,
      [LABELS.session]: sessionUuid,
      [LABELS.service]: name,
    });
    await Promise.all(objects.map((o) => this.#o.runtime.stop(o.ref, { graceMs: this.#o.graceMs })));
  }

  async #teardown(sessionUuid: string): Promise<void> {
    const runtime = this.#o.runtime;
    const objects = await runtime.list({ [LABELS.installation]: this.#o.installationId, [LABELS.session]: sessionUuid });
    await Promise.all(objects.map((o) => runtime.stop(o.ref, { graceMs: this.#o.graceMs })));
    await runtime.cleanupSession(sessionUuid);
    await rm(this.#sessionDir(sessionUuid), { recursive: true, force: true });
    for (const record of this.#o.store.listServices(sessionUuid)) this.#o.store.deleteService(sessionUuid, record.name);
    this.#o.store.updateSession(sessionUuid, { desired: 'stopped', status: 'stopped', reason: null });
    this.#plans.delete(sessionUuid);
    this.#emit({ type: 'session', sessionUuid, status: 'stopped' });
  }

  /** Notices services that exit after they were ready (no session stays "running" on a dead service). */
  #ensureWatcher(): void {
    if (this.#watcher || this.#closed) return;
    this.#watcher = setInterval(() => void this.#watch().catch((e) => this.#o.logger.warn({ err: e }, 'watch failed')), this.#o.watchIntervalMs);
    this.#watcher.unref();
  }

  async #watch(): Promise<void> {
    let inspected = 0;
    for (const session of this.#o.store.listSessions({ activeOnly: true })) {
      if (session.desired !== 'running') continue;
      for (const record of this.#o.store.listServices(session.uuid)) {
        if (record.status !== 'ready' || !record.runtimeId) continue;
        // Local inspects are synchronous reads: let requests in between, however many services run.
        if (++inspected % BATCH === 0) await yieldToRequests();
        const ref = { runtime: this.#o.runtime.kind, id: record.runtimeId, sessionUuid: session.uuid, service: record.name };
        const state = await this.#o.runtime.inspect(ref);
        if (state.state === 'running') continue;
        if (state.state === 'waiting' && !state.fatal) {
          this.#restarting(session.uuid, record, state.reason);
          continue;
        }
        const lines = await lastLogLines(this.logFile(session.uuid, record.name), 20, true).catch(() => []);
        // Re-read right before the write, with no await between: a restart or apply may have
        // replaced the instance meanwhile, and its record must not be overwritten.
        const current = this.#service(session.uuid, record.name);
        if (current?.runtimeId !== record.runtimeId || current.status !== 'ready') continue;
        const reason =
          state.state === 'exited'
            ? `exited with ${state.signal ? `signal ${state.signal}` : `code ${state.exitCode ?? 'unknown'}`}${state.reason ? ` (${state.reason})` : ''}`
            : state.state === 'missing'
              ? 'disappeared from the runtime'
              : state.reason;
        this.#o.store.upsertService({ ...current, status: 'exited', reason, details: { lastLogLines: lines } });
        this.#emit({ type: 'service', sessionUuid: session.uuid, service: record.name, status: 'exited', reason });
        this.#updateSessionStatus(session.uuid);
      }
    }
  }

  /**
   * A ready service whose instance waits again without a fatal reason is being replaced by its
   * runtime (kubernetes: a pod evicted or drained, its successor Pending): not a failure, but not
   * ready either. It goes back to `starting`, the restart is written in its log, and the session
   * waits for its readiness again (within its deadline) as after a Berth restart: #bringUp adopts
   * a `starting` record that has a runtime id.
   */
  #restarting(sessionUuid: string, record: ServiceRecord, reason: string): void {
    // Re-read right before the write, with no await between (as the exit watcher does).
    const current = this.#service(sessionUuid, record.name);
    if (current?.runtimeId !== record.runtimeId || current.status !== 'ready') return;
    const why = `not ready again: ${reason}`;
    this.#o.store.upsertService({ ...current, status: 'starting', reason: why, readyAt: null });
    this.#emit({ type: 'service', sessionUuid, service: record.name, status: 'starting', reason: why });
    try {
      appendFileSync(this.logFile(sessionUuid, record.name), `--- berth: ${record.name} restarting (${reason}); waiting for it to be ready again ---\n`);
    } catch {
      // the log directory went with a stop; the record says it all the same
    }
    void this.#lock.run(sessionUuid, () => this.#reconcile(sessionUuid)).catch((error: unknown) => this.#fail(sessionUuid, error));
  }

  // --- helpers ----------------------------------------------------------------------------------

  #context(input: Omit<StartSessionInput, 'spec'> & { spec?: PipelineSpec }): SessionContext {
    const spec = input.spec;
    if (!spec) throw new SessionError('BERTH_SESSION_NO_SPEC', 'no pipeline spec given');
    const envUuids = Object.values(spec.services ?? {})
      .map((s) => (typeof s.image === 'string' && s.image.startsWith('environment@') ? s.image.slice('environment@'.length) : null))
      .filter((u): u is string => u !== null);
    // The local runtime cannot run images: it fails such a service at start with a clear reason,
    // so planning must not fail first with "not built".
    const environmentImages =
      this.#o.runtime.kind === 'local'
        ? Object.fromEntries(envUuids.map((uuid) => [uuid, `environment@${uuid}`]))
        : envUuids.length && this.#o.resolveEnvironmentImages
          ? this.#o.resolveEnvironmentImages(input.projectUuid, envUuids)
          : {};
    return {
      installationId: this.#o.installationId,
      projectUuid: input.projectUuid,
      pipelineUuid: spec.uuid,
      pipelinePath: input.pipelinePath,
      sessionType: input.type,
      ...(input.runUuid ? { runUuid: input.runUuid } : {}),
      projectDir: input.projectDir,
      dataDir: this.#o.sharedDataDir,
      userEnv: input.userEnv,
      environmentImages,
    };
  }

  #plan(spec: PipelineSpec, context: SessionContext): SessionPlan {
    try {
      return planSession(spec, context);
    } catch (cause) {
      if (cause instanceof BerthError) throw cause;
      throw new SessionError('BERTH_SESSION_PLAN', `cannot plan the session: ${String(cause)}`, { cause });
    }
  }

  #storedPlan(session: SessionRecord): StoredPlan {
    // Parsed once per plan: every service event of a large session reads it again.
    const cached = this.#plans.get(session.uuid);
    if (cached?.json === session.planJson) return cached.value;
    const value = JSON.parse(session.planJson) as StoredPlan;
    this.#plans.set(session.uuid, { json: session.planJson, value });
    return value;
  }

  #sessionDir(sessionUuid: string): string {
    return join(this.#o.stateDir, 'sessions', sessionUuid);
  }

  #service(sessionUuid: string, name: string): ServiceRecord | undefined {
    return this.#o.store.getService(sessionUuid, name);
  }

  #saveService(
    sessionUuid: string,
    service: ServicePlan,
    fields: Partial<Omit<ServiceRecord, 'sessionUuid' | 'name' | 'specHash'>> & { status: ServiceStatus },
  ): void {
    const previous = this.#service(sessionUuid, service.name);
    this.#o.store.upsertService({
      sessionUuid,
      name: service.name,
      specHash: service.specHash,
      reason: null,
      details: null,
      runtimeId: previous?.runtimeId ?? null,
      endpoints: null,
      attempt: previous?.attempt ?? 0,
      startedAt: previous?.startedAt ?? null,
      readyAt: null,
      ...fields,
    });
  }

  #updateSessionStatus(sessionUuid: string): void {
    const session = this.#o.store.getSession(sessionUuid);
    if (!session || session.desired !== 'running') return;
    const services = this.#o.store.listServices(sessionUuid);
    const broken = services.find((s) => s.status === 'failed' || s.status === 'exited');
    if (broken) {
      this.#setSessionStatus(sessionUuid, 'failed', `service ${broken.name} ${broken.status === 'exited' ? 'exited' : 'failed'}: ${broken.reason ?? 'unknown reason'}`);
    } else if (services.every((s) => s.status === 'ready')) {
      this.#setSessionStatus(sessionUuid, 'running', null);
    }
  }

  #setSessionStatus(sessionUuid: string, status: SessionStatus, reason: string | null): void {
    const session = this.#o.store.getSession(sessionUuid);
    if (!session || (session.status === status && session.reason === reason)) return;
    this.#o.store.updateSession(sessionUuid, { status, reason });
    this.#emit({ type: 'session', sessionUuid, status, reason });
  }

  #fail(sessionUuid: string, cause: unknown): void {
    const error = toBerthError(cause);
    this.#o.logger.error({ err: cause, sessionUuid }, 'session reconcile failed');
    this.#setSessionStatus(sessionUuid, 'failed', error.message);
  }

  #emit(event: SessionEvent): void {
    this.emit('event', event);
  }

  #requireSession(sessionUuid: string): SessionRecord {
    const session = this.#o.store.getSession(sessionUuid);
    if (!session) {
      throw new SessionError('BERTH_SESSION_NOT_FOUND', `no session ${sessionUuid}`, {
        hint: 'list sessions with `berth session status`',
      });
    }
    return session;
  }

  #requireActive(sessionUuid: string): SessionRecord {
    const session = this.#requireSession(sessionUuid);
    if (session.desired !== 'running' || session.status === 'stopped' || session.status === 'stopping') {
      throw new SessionError('BERTH_SESSION_NOT_RUNNING', `session ${sessionUuid} is ${session.status}`, {
        hint: 'start it with `berth session start PROJECT PIPELINE`',
      });
    }
    return session;
  }

  #requirePlannedService(plan: SessionPlan, name: string): ServicePlan {
    const service = plan.services.find((s) => s.name === name);
    if (!service) {
      throw new SessionError('BERTH_SESSION_NO_SUCH_SERVICE', `the session has no service "${name}"`, {
        hint: `services of this session: ${plan.services.map((s) => s.name).join(', ') || '(none)'}`,
      });
    }
    return service;
  }

  #view(session: SessionRecord): SessionView {
    const { planJson: _plan, ...rest } = session;
    const { plan } = this.#storedPlan(session);
    const records = new Map(this.#o.store.listServices(session.uuid).map((r) => [r.name, r]));
    const runtime = this.#o.runtime;
    const services: ServiceView[] = plan.services.map((service) => {
      const record = records.get(service.name);
      const { sessionUuid: _s, ...fields } = record ?? {
        sessionUuid: session.uuid,
        name: service.name,
        status: session.status === 'stopped' ? ('stopped' as const) : ('pending' as const),
        reason: null,
        details: null,
        specHash: service.specHash,
        runtimeId: null,
        endpoints: null,
        attempt: 0,
        startedAt: null,
        readyAt: null,
        updatedAt: session.updatedAt,
      };
      return {
        ...fields,
        hostname: service.hostname,
        internalHostname: runtime.internalHostname(service),
        ports: service.ports,
        exposed: service.exposed,
        urls: service.routes.map((r) => `${r.basePath}/`),
        logFile: this.logFile(session.uuid, service.name),
      };
    });
    const userServices = Object.fromEntries(plan.services.map((s) => [s.name, sdkServiceView(s, runtime.internalHostname(s))]));
    return { ...rest, services, warnings: plan.warnings, userServices, ...(runtime.isolation ? { isolation: runtime.isolation.mode } : {}) };
  }
}

function withHashLabel(service: ServicePlan): ServicePlan {
  return { ...service, labels: { ...service.labels, [SPEC_HASH_LABEL]: service.specHash } };
}

function sessionLabels(installationId: string, plan: SessionPlan): Record<string, string> {
  return {
    [LABELS.installation]: installationId,
    [LABELS.project]: plan.projectUuid,
    [LABELS.pipeline]: plan.pipelineUuid,
    [LABELS.session]: plan.sessionUuid,
  };
}

/** The context is stored with the plan for apply; user env values are secrets and stay out. */
function redactContext(context: SessionContext): Partial<SessionContext> {
  const { userEnv: _secret, ...rest } = context;
  return rest;
}
