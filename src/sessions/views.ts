/**
 * What the API, the SDK and job runs see of a session: its record with each planned service's
 * record, endpoints and URLs. Built from the store and the stored plan; it asks the runtime nothing
 * but host names.
 */
import type { ServiceInfo, SessionInfo } from '../api/index.ts';
import { sdkServiceView, type ServicePlan, type SessionPlan } from '../plan/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { ServiceRecord, SessionRecord } from '../store/index.ts';

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

export interface ViewSources {
  plan: SessionPlan;
  records: readonly ServiceRecord[];
  runtime: Runtime;
  logFile: (service: string) => string;
}

export function sessionView(session: SessionRecord, { plan, records, runtime, logFile }: ViewSources): SessionView {
  const { planJson: _plan, ...rest } = session;
  const byName = new Map(records.map((r) => [r.name, r]));
  const { fixed, userServices } = planParts(plan, runtime, logFile);
  const services: ServiceView[] = fixed.map(({ service, parts }) => {
    const record = byName.get(service.name);
    const known = record && viewOf.get(record);
    if (known?.parts === parts) return known.view;
    const { sessionUuid: _s, ...fields } = record ?? {
      sessionUuid: session.uuid,
      name: service.name,
      // A planned service without a record has not been started yet, or went with a stop.
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
    const view = { ...fields, ...parts };
    if (record) viewOf.set(record, { parts, view });
    return view;
  });
  return {
    ...rest,
    services,
    warnings: plan.warnings,
    get userServices() {
      return userServices();
    },
    ...(runtime.isolation ? { isolation: runtime.isolation.mode } : {}),
  };
}

/**
 * The view of a service record, kept while the record is the same object: the store hands out the
 * same record until the service changes, so a poll of a 1,000-service session rebuilds only the
 * views of the services that changed since the last one (and serialises only those, sessionInfoJson).
 */
const viewOf = new WeakMap<ServiceRecord, { parts: FixedParts; view: ServiceView }>();

/** What a service's view takes from its plan, not from its record. */
type FixedParts = Pick<ServiceView, 'hostname' | 'internalHostname' | 'ports' | 'exposed' | 'urls' | 'logFile'>;

interface PlanParts {
  fixed: { service: ServicePlan; parts: FixedParts }[];
  /** Made when first asked for: only `GET /api/sessions/:sid` and job runs send them. */
  userServices(): Record<string, unknown>;
}

/**
 * What the views take from the plan alone, built once per plan: a session keeps its plan until it
 * is applied, and the plan cache hands out the same object until then. A 1,000-service session
 * spent 25 ms of the event loop on every poll rebuilding them (cloning specs, joining paths).
 * Shared between views: callers only read them.
 */
const partsByPlan = new WeakMap<SessionPlan, PlanParts>();

function planParts(plan: SessionPlan, runtime: Runtime, logFile: (service: string) => string): PlanParts {
  let parts = partsByPlan.get(plan);
  if (!parts) {
    parts = {
      fixed: plan.services.map((service) => ({
        service,
        parts: {
          hostname: service.hostname,
          internalHostname: runtime.internalHostname(service),
          ports: service.ports,
          exposed: service.exposed,
          urls: service.routes.map((r) => `${r.basePath}/`),
          logFile: logFile(service.name),
        },
      })),
      userServices: once(() => Object.fromEntries(plan.services.map((s) => [s.name, sdkServiceView(s, runtime.internalHostname(s))]))),
    };
    partsByPlan.set(plan, parts);
  }
  return parts;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

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
  const services = view.services.map((service) => {
    let json = infoJsonOf.get(service);
    if (json === undefined) {
      json = JSON.stringify(serviceInfo(service));
      infoJsonOf.set(service, json);
    }
    return json;
  });
  return `${head.slice(0, -1)},"services":[${services.join(',')}]}`;
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
