/**
 * The controller's decision, pure: from what a session should run (its stored plan), what the
 * runtime has (instances by label, their states) and what the store records, the actions that
 * bring them together. No I/O and no clock: commands, recovery, the exit watcher and the periodic
 * resync all ask this one function, so each situation is decided once and tested here as a table.
 */
import type { RuntimeState } from '../runtime/index.ts';
import type { ServiceStatus, SessionStatus } from '../store/index.ts';

/**
 * Why a reconcile runs. `command` (start, restart, apply, stop) and `recovery` (Berth's start-up)
 * retry failed and exited services; `resync` (exit watcher, periodic resync, a finished start)
 * leaves them down: a crashed service stays down until a person acts (no restart policy).
 */
export type Trigger = 'command' | 'recovery' | 'resync';

export interface DesiredService {
  name: string;
  specHash: string;
  dependsOn: readonly string[];
}

export interface DesiredState {
  session: 'running' | 'stopped';
  /** The stored plan's services, in plan order (empty when the session should stop). */
  services: readonly DesiredService[];
}

/** One instance the runtime has for the session, with its labels read. */
export interface ObservedInstance {
  id: string;
  /** The service label; undefined on objects that are no service instance (a job step's container). */
  service: string | undefined;
  /** The plan hash label the instance was started with. */
  specHash: string | undefined;
  state: RuntimeState;
}

export interface ObservedState {
  /** From `runtime.list` by the session's labels, the recorded instances' states from `inspect` (`missing` included). */
  instances: readonly ObservedInstance[];
  /** Services with a start or readiness wait in flight, and the plan hash that work brings up. */
  busy: ReadonlyMap<string, string>;
}

/** What the store says of one service (a subset of ServiceRecord). */
export interface RecordedService {
  name: string;
  status: ServiceStatus;
  runtimeId: string | null;
  reason: string | null;
}

export interface RecordedState {
  session: { status: SessionStatus };
  services: readonly RecordedService[];
}

export type Action =
  /** Stop every instance, clean the session up, delete its records: it should not run. */
  | { type: 'teardown' }
  /** Abort the start or readiness wait in flight: it brings up what is no longer wanted. The caller looks again after. */
  | { type: 'cancel'; service: string }
  /** No instance: start one and wait for its readiness. */
  | { type: 'start'; service: string }
  /** Stop this instance (stale, dead, or a fresh start was asked for), then start anew. */
  | { type: 'restart'; service: string; id: string }
  /** This instance runs as planned and nothing waits for it: record it and wait for its readiness. */
  | { type: 'adopt'; service: string; id: string }
  /** A ready service's instance is being replaced by its runtime: starting again, wait for readiness on it. */
  | { type: 'rewait'; service: string; reason: string }
  /** Stop an instance no planned service should have. `replaced`: its service waits for a dependency before its new start. */
  | { type: 'stop'; service: string | undefined; id: string; why: 'unplanned' | 'duplicate' | 'foreign' | 'replaced' }
  /** Not started: a service it depends on did not become ready. */
  | { type: 'fail'; service: string; reason: string }
  /** It was ready; its instance exited, vanished or cannot run any more. */
  | { type: 'exited'; service: string; reason: string }
  /** A record of a service the plan no longer has. */
  | { type: 'forget'; service: string }
  /** Nothing to do yet: its readiness is being waited for, or the services it depends on are. */
  | { type: 'wait'; service: string; for: 'readiness' | string[] };

export interface Decision {
  actions: Action[];
  /** The session's status once the actions are done; undefined: leave it as it is. */
  session?: { status: SessionStatus; reason: string | null };
}

/** Where a service stands once its actions are done: what dependents and the session's status read. */
interface Projection {
  status: ServiceStatus;
  reason: string | null;
}

interface Inputs {
  desired: DesiredState;
  observed: ObservedState;
  records: Map<string, RecordedService>;
  /** The observed instances by service: a filter of all of them per service made decide() quadratic (30 ms for 1,000). */
  instancesOf: Map<string | undefined, ObservedInstance[]>;
  trigger: Trigger;
}

export function decide(desired: DesiredState, observed: ObservedState, recorded: RecordedState, trigger: Trigger): Decision {
  const status = recorded.session.status;
  if (desired.session === 'stopped' || status === 'stopping') {
    return status === 'stopped' ? { actions: [] } : { actions: [{ type: 'teardown' }] };
  }
  const instancesOf = new Map<string | undefined, ObservedInstance[]>();
  for (const instance of observed.instances) {
    const list = instancesOf.get(instance.service);
    if (list) list.push(instance);
    else instancesOf.set(instance.service, [instance]);
  }
  const inputs: Inputs = { desired, observed, records: new Map(recorded.services.map((r) => [r.name, r])), instancesOf, trigger };
  const actions: Action[] = [];
  const projections = new Map<string, Projection>();
  const project = (service: DesiredService, visiting: Set<string>): Projection => {
    const known = projections.get(service.name);
    if (known) return known;
    visiting.add(service.name);
    // Dependencies first: a service starts only once those it depends on are ready.
    const deps = service.dependsOn
      .filter((name) => !visiting.has(name))
      .map((name) => desired.services.find((s) => s.name === name))
      .filter((s): s is DesiredService => s !== undefined)
      .map((s) => ({ name: s.name, projection: project(s, visiting) }));
    const result = decideService(service, deps, inputs);
    actions.push(...result.actions);
    projections.set(service.name, result.projection);
    return result.projection;
  };
  for (const service of desired.services) project(service, new Set());
  actions.push(...unplanned(inputs));
  return { actions, session: sessionVerdict(desired.services, projections, trigger) };
}

function decideService(service: DesiredService, deps: { name: string; projection: Projection }[], inputs: Inputs): { actions: Action[]; projection: Projection } {
  const record = inputs.records.get(service.name);
  const mine = inputs.instancesOf.get(service.name) ?? [];
  const busyHash = inputs.observed.busy.get(service.name);
  const starting = { status: 'starting', reason: null } as const;
  if (busyHash !== undefined) {
    // A pending record under work in flight: a restart was asked for; another hash: apply changed the plan.
    if (busyHash === service.specHash && record?.status !== 'pending') return { actions: [{ type: 'wait', service: service.name, for: 'readiness' }], projection: starting };
    return { actions: [{ type: 'cancel', service: service.name }], projection: { status: 'pending', reason: null } };
  }
  const recorded = record?.runtimeId ? mine.find((i) => i.id === record.runtimeId) : undefined;
  const retry = inputs.trigger !== 'resync';
  const status = record?.status ?? 'pending';
  if (status === 'ready') {
    if (!record?.runtimeId) return replace(service, mine, deps);
    // Not observed at all (started after the runtime was listed): nothing is known against it.
    if (!recorded) return { actions: [], projection: { status: 'ready', reason: null } };
    if (recorded.specHash !== undefined && recorded.specHash !== service.specHash) return replace(service, mine, deps);
    const state = recorded.state;
    if (state.state === 'running') {
      // After a restart of Berth, readiness is checked again and logs re-attached before it counts as ready.
      if (inputs.trigger === 'recovery') return { actions: [{ type: 'adopt', service: service.name, id: recorded.id }], projection: starting };
      return { actions: duplicates(mine, recorded.id), projection: { status: 'ready', reason: null } };
    }
    if (state.state === 'waiting' && !state.fatal) return { actions: [{ type: 'rewait', service: service.name, reason: state.reason }], projection: starting };
    if (retry) return replace(service, mine, deps);
    const reason = exitReason(state);
    return { actions: [{ type: 'exited', service: service.name, reason }], projection: { status: 'exited', reason } };
  }
  if (status === 'starting') {
    // Started by a Berth that is gone (or a wait that was lost): the instance runs as planned, so its readiness is waited for again.
    const candidate = recorded ?? mine.find((i) => i.state.state === 'running' && i.specHash === service.specHash);
    if (candidate?.state.state === 'running' && (candidate.specHash === undefined || candidate.specHash === service.specHash)) {
      return { actions: [{ type: 'adopt', service: service.name, id: candidate.id }, ...duplicates(mine, candidate.id)], projection: starting };
    }
    return replace(service, mine, deps);
  }
  if ((status === 'failed' || status === 'exited') && !retry) return { actions: [], projection: { status, reason: record?.reason ?? null } };
  // pending (a start or restart was asked for), stopped, or failed/exited on a retry: a fresh instance.
  return replace(service, mine, deps);
}

/** A new instance for the service once its dependencies are ready; what it has now is stopped. */
function replace(service: DesiredService, mine: readonly ObservedInstance[], deps: { name: string; projection: Projection }[]): { actions: Action[]; projection: Projection } {
  const live = mine.filter((i) => i.state.state !== 'missing');
  const broken = deps.find((d) => d.projection.status === 'failed' || d.projection.status === 'exited');
  const waiting = deps.filter((d) => d.projection.status !== 'ready').map((d) => d.name);
  const stops = (instances: readonly ObservedInstance[], why: 'replaced' | 'duplicate'): Action[] =>
    instances.map((i) => ({ type: 'stop', service: service.name, id: i.id, why }));
  if (broken) {
    const reason = `not started: it depends on ${broken.name}, which did not become ready`;
    return { actions: [...stops(live, 'replaced'), { type: 'fail', service: service.name, reason }], projection: { status: 'failed', reason } };
  }
  if (waiting.length > 0) {
    return { actions: [...stops(live, 'replaced'), { type: 'wait', service: service.name, for: waiting }], projection: { status: 'pending', reason: null } };
  }
  const [first, ...rest] = live;
  const begin: Action = first ? { type: 'restart', service: service.name, id: first.id } : { type: 'start', service: service.name };
  return { actions: [...stops(rest, 'duplicate'), begin], projection: { status: 'starting', reason: null } };
}

/** Other live instances of a service than the one it uses (left by a crash between a start and its record). */
function duplicates(mine: readonly ObservedInstance[], keep: string): Action[] {
  return mine
    .filter((i) => i.id !== keep && i.state.state !== 'missing')
    .map((i): Action => ({ type: 'stop', service: i.service, id: i.id, why: 'duplicate' }));
}

/**
 * Instances and records of services the plan does not have. Objects without a service label (job
 * steps' containers) belong to their run while it lasts: only recovery, which fails those runs, removes them.
 */
function unplanned(inputs: Inputs): Action[] {
  const planned = new Set(inputs.desired.services.map((s) => s.name));
  const actions: Action[] = [];
  for (const name of inputs.observed.busy.keys()) if (!planned.has(name)) actions.push({ type: 'cancel', service: name });
  for (const instance of inputs.observed.instances) {
    if (instance.state.state === 'missing' || (instance.service !== undefined && planned.has(instance.service))) continue;
    if (instance.service !== undefined) actions.push({ type: 'stop', service: instance.service, id: instance.id, why: 'unplanned' });
    else if (inputs.trigger === 'recovery') actions.push({ type: 'stop', service: undefined, id: instance.id, why: 'foreign' });
  }
  for (const name of inputs.records.keys()) if (!planned.has(name)) actions.push({ type: 'forget', service: name });
  return actions;
}

/**
 * Starting while anything is on its way up (set by commands and recovery; a resync leaves a running
 * session running while its runtime replaces an instance); then failed naming the first broken
 * service in plan order, or running.
 */
function sessionVerdict(services: readonly DesiredService[], projections: Map<string, Projection>, trigger: Trigger): Decision['session'] {
  const all = services.map((s) => ({ name: s.name, ...(projections.get(s.name) ?? { status: 'pending' as const, reason: null }) }));
  if (all.some((p) => p.status === 'pending' || p.status === 'starting')) return trigger === 'resync' ? undefined : { status: 'starting', reason: null };
  const broken = all.find((p) => p.status === 'failed' || p.status === 'exited');
  if (broken) return { status: 'failed', reason: `service ${broken.name} ${broken.status === 'exited' ? 'exited' : 'failed'}: ${broken.reason ?? 'unknown reason'}` };
  return { status: 'running', reason: null };
}

/** How a ready service's instance ended, in the words its record keeps. */
export function exitReason(state: RuntimeState): string {
  switch (state.state) {
    case 'exited':
      return `exited with ${state.signal ? `signal ${state.signal}` : `code ${state.exitCode ?? 'unknown'}`}${state.reason ? ` (${state.reason})` : ''}`;
    case 'missing':
      return 'disappeared from the runtime';
    case 'waiting':
      return state.reason;
    case 'running':
      return 'running';
  }
}
