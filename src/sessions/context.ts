/**
 * What the manager's parts share (options, store, runtime, lock, the work in flight) and the pure
 * helpers around a session's plan: its context, planning it, and what a session row keeps of it.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { planSession, planSessionInSteps, LABELS, type SessionContext, type SessionPlan, type ServicePlan } from '../plan/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import type { CoreStore, SessionRecord } from '../store/index.ts';
import { BATCH, BerthError, yieldToRequests } from '../shared/index.ts';
import { SessionError } from './errors.ts';
import type { KeyedLock } from './lock.ts';
import type { Slots } from './slots.ts';
import type { Records } from './records.ts';
import type { InFlight } from './tasks.ts';

/** Label carrying the plan hash on runtime objects, so recovery can tell a stale instance. */
export const SPEC_HASH_LABEL = 'berth.spec-hash';

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

/** What a session row keeps of its plan (the context without secrets). */
export interface StoredPlan {
  plan: SessionPlan;
  context: Partial<SessionContext>;
}

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
  /** How often every wanted session is reconciled whatever the exit checks saw. Default 30 s. */
  resyncMs?: number;
  /** Services being started (runtime.start) at once, across sessions, at most (fewer while the machine is loaded: slots.ts); readiness waits are not limited. Default 8. */
  maxParallelStarts?: number;
}

/** The manager's parts: its options, with the defaults applied, and what they share. Each module gets this, not the manager. */
export interface Deps extends Omit<SessionManagerOptions, 'graceMs' | 'watchIntervalMs' | 'resyncMs' | 'maxParallelStarts'> {
  graceMs: number;
  lock: KeyedLock;
  /** Services being started (runtime.start) at once, across sessions. */
  starts: Slots;
  /** Starts and readiness waits in flight, per session and service. */
  tasks: InFlight;
  records: Records;
  plans: PlanCache;
}

export { BATCH, yieldToRequests };

/**
 * `each` for every item, all running together, but begun BATCH at a time with the event loop free in
 * between: 1,000 local stops begun in one turn held it 0.35-0.39 s (each reads its state and /proc,
 * and signals). Rejects with the first failure once every one has settled.
 */
export async function allInTurns<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  const settled: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  for (const [index, item] of items.entries()) {
    if (index > 0 && index % BATCH === 0) await yieldToRequests();
    settled.push(
      (async () => each(item))().catch((error: unknown) => {
        failure ??= { error };
      }),
    );
  }
  await Promise.all(settled);
  if (failure) throw failure.error;
}

/** `items.map(map)`, BATCH items a turn. */
export async function mapInTurns<T, R>(items: readonly T[], map: (item: T) => R): Promise<R[]> {
  const mapped: R[] = [];
  for (const item of items) {
    if (mapped.length > 0 && mapped.length % BATCH === 0) await yieldToRequests();
    mapped.push(map(item));
  }
  return mapped;
}

export function sessionDir(deps: Pick<Deps, 'stateDir'>, sessionUuid: string): string {
  return join(deps.stateDir, 'sessions', sessionUuid);
}

export function logFile(deps: Pick<Deps, 'stateDir'>, sessionUuid: string, service: string): string {
  return join(deps.stateDir, 'sessions', sessionUuid, 'logs', `${service}.log`); // sessionDir's, joined once: views ask for 1,000
}

/** A session whose services should run: recorded, not stopped and not being stopped. */
export function isWanted(session: SessionRecord | undefined): boolean {
  return session !== undefined && session.status !== 'stopped' && session.status !== 'stopping' && session.desired !== 'stopped';
}

export function buildContext(deps: Deps, input: Omit<StartSessionInput, 'spec'> & { spec?: PipelineSpec }): SessionContext {
  const spec = input.spec;
  if (!spec) throw new SessionError('BERTH_SESSION_NO_SPEC');
  const envUuids = Object.values(spec.services ?? {})
    .map((s) => (typeof s.image === 'string' && s.image.startsWith('environment@') ? s.image.slice('environment@'.length) : null))
    .filter((u): u is string => u !== null);
  // The local runtime cannot run images: it fails such a service at start with a clear reason,
  // so planning must not fail first with "not built".
  const environmentImages =
    deps.runtime.kind === 'local'
      ? Object.fromEntries(envUuids.map((uuid) => [uuid, `environment@${uuid}`]))
      : envUuids.length && deps.resolveEnvironmentImages
        ? deps.resolveEnvironmentImages(input.projectUuid, envUuids)
        : {};
  return {
    installationId: deps.installationId,
    projectUuid: input.projectUuid,
    pipelineUuid: spec.uuid,
    pipelinePath: input.pipelinePath,
    sessionType: input.type,
    ...(input.runUuid ? { runUuid: input.runUuid } : {}),
    projectDir: input.projectDir,
    dataDir: deps.sharedDataDir,
    userEnv: input.userEnv,
    environmentImages,
  };
}

export function makePlan(spec: PipelineSpec, context: SessionContext): SessionPlan {
  try {
    return planSession(spec, context);
  } catch (cause) {
    throw planFailure(cause);
  }
}

/** makePlan with the event loop free every BATCH services. */
export async function makePlanInTurns(spec: PipelineSpec, context: SessionContext): Promise<SessionPlan> {
  try {
    const steps = planSessionInSteps(spec, context);
    for (let planned = 1; ; planned += 1) {
      const step = steps.next();
      if (step.done) return step.value;
      if (planned % BATCH === 0) await yieldToRequests();
    }
  } catch (cause) {
    throw planFailure(cause);
  }
}

function planFailure(cause: unknown): BerthError {
  return cause instanceof BerthError ? cause : new SessionError('BERTH_SESSION_PLAN', { reason: String(cause) }, { cause });
}

/**
 * The plan as a session row stores it (the context is kept for apply; user env values are secrets and
 * stay out), with what reading the row back gives: handed to PlanCache.remember, the 1.7 MB JSON of a
 * 1,000-service plan is not parsed again right after it was made. A plan holds no undefined member,
 * so the two are the same (context.test.ts).
 */
export function storedPlan(plan: SessionPlan, context: SessionContext): { json: string; value: StoredPlan } {
  const { userEnv: _secret, ...rest } = context;
  const value = { plan, context: rest };
  return { json: JSON.stringify(value), value };
}

/** Parses each session's stored plan once per version: every service event of a large session reads it again. */
export class PlanCache {
  readonly #plans = new Map<string, { json: string; value: StoredPlan }>();

  get(session: SessionRecord): StoredPlan {
    const cached = this.#plans.get(session.uuid);
    if (cached?.json === session.planJson) return cached.value;
    const value = JSON.parse(session.planJson) as StoredPlan;
    this.#plans.set(session.uuid, { json: session.planJson, value });
    return value;
  }

  /** The plan just stored for the session (storedPlan). */
  remember(sessionUuid: string, stored: { json: string; value: StoredPlan }): void {
    this.#plans.set(sessionUuid, stored);
  }

  delete(sessionUuid: string): void {
    this.#plans.delete(sessionUuid);
  }
}

export function withHashLabel(service: ServicePlan): ServicePlan {
  return { ...service, labels: { ...service.labels, [SPEC_HASH_LABEL]: service.specHash } };
}

export function sessionLabels(installationId: string, plan: SessionPlan): Record<string, string> {
  return {
    [LABELS.installation]: installationId,
    [LABELS.project]: plan.projectUuid,
    [LABELS.pipeline]: plan.pipelineUuid,
    [LABELS.session]: plan.sessionUuid,
  };
}
