/**
 * Mirrors sessions' exposed ports into the proxy's route table. A service event updates only that
 * service's routes (one record read), so a session of N services costs O(N) route work to start,
 * not O(N²); a session event (start, apply, stop) re-reads the session's plan once.
 */
import type { Socket } from 'node:net';
import type { RouteTable, ProxyRoute, UpstreamTarget } from '../proxy/index.ts';
import type { RoutePlan } from '../plan/index.ts';
import type { SessionManager } from '../sessions/index.ts';

export class SessionRouteMirror {
  readonly #table: RouteTable;
  readonly #sessions: SessionManager;
  /** Each active session's routes by service, from its plan as of the last session event. */
  readonly #plans = new Map<string, Map<string, RoutePlan[]>>();

  /** The runtime's way into a session's own network (Runtime.dial), for targets behind a forwarder socket. */
  readonly #dial: ((sessionUuid: string, port: number) => Promise<Socket>) | undefined;

  constructor(table: RouteTable, sessions: SessionManager, dial?: (sessionUuid: string, port: number) => Promise<Socket>) {
    this.#table = table;
    this.#sessions = sessions;
    this.#dial = dial;
  }

  /**
   * A ready service's target. Behind a forwarder's socket (an isolated local session) connections
   * are opened by the runtime's dialer instead: the bytes then skip the forwarder (docs/proxy.md).
   */
  #target(sessionUuid: string, endpoint: UpstreamTarget): UpstreamTarget {
    const dial = this.#dial;
    if (!dial || !endpoint.socketPath) return endpoint;
    return { ...endpoint, connect: () => dial(sessionUuid, endpoint.port) };
  }

  /** The whole session: after it starts, is re-applied or stops. */
  syncSession(sessionUuid: string): void {
    this.#table.removeSession(sessionUuid);
    this.#plans.delete(sessionUuid);
    const session = this.#sessions.find(sessionUuid);
    if (!session || session.status === 'stopped' || session.status === 'stopping') return;
    const byService = new Map(this.#sessions.plan(sessionUuid).services.map((service) => [service.name, service.routes]));
    this.#plans.set(sessionUuid, byService);
    for (const name of byService.keys()) this.syncService(sessionUuid, name);
  }

  /** One service whose status or endpoints changed. */
  syncService(sessionUuid: string, name: string): void {
    const routes = this.#plans.get(sessionUuid)?.get(name);
    if (!routes) return this.syncSession(sessionUuid); // a plan this mirror has not seen yet
    const record = this.#sessions.serviceRecord(sessionUuid, name);
    const state: ProxyRoute['state'] =
      record?.status === 'ready' ? 'ready' : record?.status === 'failed' || record?.status === 'exited' ? 'failed' : 'starting';
    for (const route of routes) {
      const target = record?.endpoints?.[String(route.port)];
      this.#table.set({
        basePath: route.basePath,
        stripPrefix: route.stripPrefix,
        requiresAuthentication: route.requiresAuthentication,
        sessionUuid,
        service: name,
        port: route.port,
        state,
        ...(record?.reason ? { reason: record.reason } : {}),
        ...(state === 'ready' && target ? { target: this.#target(sessionUuid, target) } : {}),
      });
    }
  }
}
