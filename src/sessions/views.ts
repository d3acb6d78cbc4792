/**
 * What the API, the SDK and job runs see of a session: its record with each planned service's
 * record, endpoints and URLs. Built from the store and the stored plan; it asks the runtime nothing
 * but host names.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceInfo, SessionInfo } from '../api/index.ts';
import { sdkServiceView, type ServicePlan, type SessionPlan } from '../plan/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { ServiceRecord, SessionRecord } from '../store/index.ts';
import { mapInTurns } from './context.ts';

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
  /** The local runtime's isolation of this session: `namespace` (its own network) or `host` (host ports). */
  isolation?: string;
}

export interface ViewSources {
  plan: SessionPlan;
  records: readonly ServiceRecord[];
  runtime: Runtime;
  logFile: (service: string) => string;
}

export function sessionView(session: SessionRecord, { plan, records, runtime, logFile }: ViewSources): SessionView {
  const { planJson: _plan, ...rest } = session;
  const byName = new Map(records.map((r) => [r.name, r]));
  const services = planParts(plan, runtime, logFile).map((fixed) => serviceView(session, byName, fixed));
  return { ...rest, services, warnings: plan.warnings, ...(runtime.isolation ? { isolation: runtime.isolation.mode } : {}) };
}

function serviceView(session: SessionRecord, records: Map<string, ServiceRecord>, fixed: PlannedParts): ServiceView {
  const record = records.get(fixed.service.name);
  const view = record ? recordView(record, fixed.parts) : unrecordedView(session, fixed);
  if (fixed.shown !== view) {
    fixed.shown = view;
    changedAt.set(view, ++changes);
  }
  return view;
}

function recordView(record: ServiceRecord, parts: FixedParts): ServiceView {
  const known = viewOf.get(record);
  if (known?.parts === parts) return known.view;
  const { sessionUuid: _s, ...fields } = record;
  const view = { ...fields, ...parts };
  viewOf.set(record, { parts, view });
  return view;
}

/**
 * A planned service without a record has not been started yet, or went with a stop. Its view is
 * kept until the session's record changes: 1,000 of them are the whole answer to the first polls
 * of a large start, and a new view each time meant its JSON made anew each time too.
 */
function unrecordedView(session: SessionRecord, fixed: PlannedParts): ServiceView {
  const status = session.status === 'stopped' ? ('stopped' as const) : ('pending' as const);
  const key = `${status} ${session.updatedAt}`;
  if (fixed.unrecorded?.key === key) return fixed.unrecorded.view;
  const { service, parts } = fixed;
  const fields = { name: service.name, status, reason: null, details: null, specHash: service.specHash, runtimeId: null, endpoints: null, attempt: 0, startedAt: null, readyAt: null, updatedAt: session.updatedAt };
  const view = { ...fields, ...parts };
  fixed.unrecorded = { key, view };
  return view;
}

/**
 * The view of a service record, kept while the record is the same object: the store hands out the
 * same record until the service changes, so a poll of a 1,000-service session rebuilds only the
 * views of the services that changed since the last one (and serialises only those, sessionInfoJson).
 */
const viewOf = new WeakMap<ServiceRecord, { parts: FixedParts; view: ServiceView }>();

/** What a service's view takes from its plan, not from its record. */
type FixedParts = Pick<ServiceView, 'hostname' | 'internalHostname' | 'ports' | 'exposed' | 'urls' | 'logFile'>;

interface PlannedParts {
  service: ServicePlan;
  parts: FixedParts;
  unrecorded?: { key: string; view: ServiceView };
  /** The view of this service the last view of its session held (sessionUpdate's changes). */
  shown?: ServiceView;
}

/**
 * What the views take from the plan alone, built once per plan: a session keeps its plan until it
 * is applied, and the plan cache hands out the same object until then. A 1,000-service session
 * spent 25 ms of the event loop on every poll rebuilding them (cloning specs, joining paths).
 * Shared between views: callers only read them.
 */
const partsByPlan = new WeakMap<SessionPlan, PlannedParts[]>();

function planParts(plan: SessionPlan, runtime: Runtime, logFile: (service: string) => string): PlannedParts[] {
  let parts = partsByPlan.get(plan);
  if (!parts) {
    parts = plan.services.map((service) => plannedParts(service, runtime, logFile));
    partsByPlan.set(plan, parts);
  }
  return parts;
}

/**
 * Changes are counted across sessions: each time a service's view differs from the one its
 * session's previous view held, it gets the next count. A client that saw a session at count N
 * needs only the services counted after N (sessionUpdate): while 1,000 services start, a poll of
 * the whole session was 0.7 MB of JSON, and the server's health answer waited behind sending it.
 */
let changes = 0;
const changedAt = new WeakMap<ServiceView, number>();

/** Counted plans: a cursor holds the plan it was given for, and a new plan means a whole answer. */
let plans = 0;
const planCount = new WeakMap<SessionPlan, number>();

/** A cursor of another run of the server is not trusted: its counts started again from 0. */
const RUN = randomBytes(6).toString('hex');

/** `<run>.<plan>.<changes>`: what the route's schema accepts as `since`. */
export const CURSOR_PATTERN = '^[0-9a-f]{12}\\.[0-9]+\\.[0-9]+$';

export interface SessionUpdate {
  /** The session, with only the services that changed since the cursor given (all when `complete`). */
  view: SessionView;
  /** What to send as `since` next time. */
  cursor: string;
  /** Whether `view` holds every service: no cursor, a cursor of another plan or another run of the server. */
  complete: boolean;
}

/**
 * What changed in a session's view since a cursor an earlier update gave. The view must be made
 * from this plan, in the same turn (sessionView stamps the changes as it makes the view).
 */
export function sessionUpdate(view: SessionView, plan: SessionPlan, since: string | undefined): SessionUpdate {
  let planId = planCount.get(plan);
  if (planId === undefined) {
    planId = ++plans;
    planCount.set(plan, planId);
  }
  const cursor = `${RUN}.${planId}.${changes}`;
  const [run, sincePlan, sinceChanges] = since?.split('.') ?? [];
  const after = Number(sinceChanges);
  // A count this run has not given yet is no place to go on from.
  if (run !== RUN || Number(sincePlan) !== planId || !Number.isSafeInteger(after) || after > changes) return { view, cursor, complete: true };
  return { view: { ...view, services: view.services.filter((s) => (changedAt.get(s) ?? 0) > after) }, cursor, complete: false };
}

/**
 * Makes in turns, BATCH services at a time, what sessionView and sessionInfoJson would otherwise make
 * in one: a session's first view after its start or a restart of Berth (1,000 services' parts, views
 * and JSON held the event loop 30-50 ms). They then find it made, and make only what changed since.
 */
export async function prepareSessionView(session: SessionRecord, { plan, records, runtime, logFile }: ViewSources): Promise<void> {
  let parts = partsByPlan.get(plan);
  if (!parts) {
    parts = await mapInTurns(plan.services, (service) => plannedParts(service, runtime, logFile));
    if (!partsByPlan.has(plan)) partsByPlan.set(plan, parts);
  }
  const byName = new Map(records.map((r) => [r.name, r]));
  await mapInTurns(parts, (fixed) => serviceInfoJson(serviceView(session, byName, fixed)));
}

function plannedParts(service: ServicePlan, runtime: Runtime, logFile: (service: string) => string): PlannedParts {
  const parts: FixedParts = {
    hostname: service.hostname,
    internalHostname: runtime.internalHostname(service),
    ports: service.ports,
    exposed: service.exposed,
    urls: service.routes.map((r) => `${r.basePath}/`),
    logFile: logFile(service.name),
  };
  return { service, parts };
}

/**
 * Orchest's session.user_services as JSON: the specs as started, the SDK's interactive source. Made
 * once per plan, BATCH services a turn (the first `GET /api/sessions/:sid` of a 1,000-service session
 * held the event loop 30 ms making them in one).
 */
export function userServicesJson(plan: SessionPlan, runtime: Runtime): Promise<string> {
  let json = userServicesByPlan.get(plan);
  if (!json) {
    json = mapInTurns(plan.services, (s) => `${JSON.stringify(s.name)}:${JSON.stringify(sdkServiceView(s, runtime.internalHostname(s)))}`).then((members) => `{${members.join(',')}}`);
    userServicesByPlan.set(plan, json);
  }
  return json;
}

const userServicesByPlan = new WeakMap<SessionPlan, Promise<string>>();

/**
 * What the API answers for a session: the contract's SessionInfo and nothing of the server's own
 * (log file paths, spec hashes, the started specs, which `GET /api/sessions/:sid` sends once beside
 * it as Orchest's `user_services`). A 1,000-service session's answer was 1.3 MB, half of it that.
 */
export function sessionInfo(view: SessionView): SessionInfo {
  return { ...infoHead(view), services: view.services.map(serviceInfo) };
}

/** sessionInfo as JSON, each service's part serialised once per view of it (`services` comes last). */
export function sessionInfoJson(view: SessionView): string {
  const head = JSON.stringify(infoHead(view));
  return `${head.slice(0, -1)},"services":[${view.services.map(serviceInfoJson).join(',')}]}`;
}

function serviceInfoJson(service: ServiceView): string {
  let json = infoJsonOf.get(service);
  if (json === undefined) {
    json = JSON.stringify(serviceInfo(service));
    infoJsonOf.set(service, json);
  }
  return json;
}

const infoJsonOf = new WeakMap<ServiceView, string>();

function infoHead(view: SessionView): Omit<SessionInfo, 'services'> {
  const { uuid, projectUuid, pipelineUuid, pipelinePath, type, runtime, status, reason, warnings, isolation } = view;
  return { uuid, projectUuid, pipelineUuid, pipelinePath, type, runtime, status, reason, warnings, ...(isolation === undefined ? {} : { isolation }) };
}

function serviceInfo(service: ServiceView): ServiceInfo {
  const { name, status, reason, details, hostname, internalHostname, ports, exposed, urls, endpoints, runtimeId, attempt, startedAt, readyAt } = service;
  return { name, status, reason, details: details as ServiceInfo['details'], hostname, internalHostname, ports, exposed, urls, endpoints, runtimeId, attempt, startedAt, readyAt };
}
