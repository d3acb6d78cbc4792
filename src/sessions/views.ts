/**
 * What the API, the SDK and job runs see of a session: its record with each planned service's
 * record, endpoints and URLs. Built from the store and the stored plan; it asks the runtime nothing
 * but host names.
 */
import { sdkServiceView, type SessionPlan } from '../plan/index.ts';
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
  const services: ServiceView[] = plan.services.map((service) => {
    const { sessionUuid: _s, ...fields } = byName.get(service.name) ?? {
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
    return {
      ...fields,
      hostname: service.hostname,
      internalHostname: runtime.internalHostname(service),
      ports: service.ports,
      exposed: service.exposed,
      urls: service.routes.map((r) => `${r.basePath}/`),
      logFile: logFile(service.name),
    };
  });
  const userServices = Object.fromEntries(plan.services.map((s) => [s.name, sdkServiceView(s, runtime.internalHostname(s))]));
  return { ...rest, services, warnings: plan.warnings, userServices, ...(runtime.isolation ? { isolation: runtime.isolation.mode } : {}) };
}
