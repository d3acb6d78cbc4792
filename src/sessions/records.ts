/**
 * The session and service rows, written with the event each change emits: the proxy's route table,
 * job runs and the UI follow the events, so no status changes without one.
 */
import type { Logger } from 'pino';
import type { ServicePlan } from '../plan/index.ts';
import type { CoreStore, ServiceRecord, ServiceStatus, SessionStatus } from '../store/index.ts';
import { toBerthError } from '../shared/index.ts';

export type SessionEvent =
  | { type: 'session'; sessionUuid: string; status: SessionStatus; reason?: string | null }
  | { type: 'service'; sessionUuid: string; service: string; status: ServiceStatus; reason?: string | null }
  | { type: 'progress'; sessionUuid: string; service: string; line: string };

export type ServiceFields = Partial<Omit<ServiceRecord, 'sessionUuid' | 'name' | 'specHash'>> & { status: ServiceStatus };

export class Records {
  readonly #store: CoreStore;
  readonly #logger: Logger;
  readonly emit: (event: SessionEvent) => void;

  constructor(store: CoreStore, logger: Logger, emit: (event: SessionEvent) => void) {
    this.#store = store;
    this.#logger = logger;
    this.emit = emit;
  }

  service(sessionUuid: string, name: string): ServiceRecord | undefined {
    return this.#store.getService(sessionUuid, name);
  }

  /** Writes a service's record; fields not given are reset (reason, details, endpoints, readyAt) or kept (runtime id, attempt, start). */
  saveService(sessionUuid: string, service: Pick<ServicePlan, 'name' | 'specHash'>, fields: ServiceFields): void {
    const previous = this.service(sessionUuid, service.name);
    this.#store.upsertService({
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

  /** Saves the record and emits its status (with the reason when there is one). */
  setService(sessionUuid: string, service: Pick<ServicePlan, 'name' | 'specHash'>, fields: ServiceFields): void {
    this.saveService(sessionUuid, service, fields);
    this.emit({ type: 'service', sessionUuid, service: service.name, status: fields.status, ...(fields.reason ? { reason: fields.reason } : {}) });
  }

  setSessionStatus(sessionUuid: string, status: SessionStatus, reason: string | null): void {
    const session = this.#store.getSession(sessionUuid);
    if (!session || (session.status === status && session.reason === reason)) return;
    this.#store.updateSession(sessionUuid, { status, reason });
    this.emit({ type: 'session', sessionUuid, status, reason });
  }

  /** A reconcile that could not finish: the session is failed with the error's message. */
  fail(sessionUuid: string, cause: unknown): void {
    const error = toBerthError(cause);
    this.#logger.error({ err: cause, sessionUuid }, 'session reconcile failed');
    this.setSessionStatus(sessionUuid, 'failed', error.message);
  }
}
