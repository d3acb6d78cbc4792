/**
 * Fail fast when a declared port is taken: in host mode on the host (services listen on their real
 * ports); in namespace mode inside the session's network, which its services share.
 */
import { createServer } from 'node:net';
import { RuntimeError } from '../errors.ts';
import { listeningInodes, socketHolder } from './procfs.ts';

function bindFails(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * Throws BERTH_RUNTIME_PORT_IN_USE for the first declared port something already listens on.
 * `why` says why services are on host ports (the isolation mode's reason): the hint names the fix.
 */
export async function assertPortsFree(service: string, ports: number[], why = "services listen on the host's real ports"): Promise<void> {
  for (const [index, port] of ports.entries()) {
    const inodes = await listeningInodes(port);
    const taken = inodes === undefined ? await bindFails(port) : inodes.length > 0;
    if (!taken) continue;
    const holder = inodes && inodes.length > 0 ? socketHolder(inodes) : undefined;
    throw new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', { service, port, index, holder, isolationReason: why }, {
      details: { service, port, holder: holder ?? null, isolation: 'host' },
    });
  }
}

/**
 * In an isolated session its services share one network: a port another service of the session
 * declared (`claimedBy`) is refused before this service starts, naming the field to change.
 * Synchronous, so that a start checks and claims its ports in one step.
 */
export function assertPortsUnclaimed(service: string, ports: number[], claimedBy: (port: number) => string | undefined): void {
  for (const [index, port] of ports.entries()) {
    const other = claimedBy(port);
    if (other !== undefined) throw portShared(service, port, index, { service: other });
  }
}

/**
 * A port something inside the session already listens on (a step, a program started by exec), read
 * from the holder's /proc/<pid>/net without blocking: the kernel takes milliseconds to list a
 * namespace's sockets, once per service start.
 */
export async function assertPortsFreeInside(service: string, ports: number[], session: { uuid: string; holderPid: number }): Promise<void> {
  for (const [index, port] of ports.entries()) {
    if ((await listeningInodes(port, `/proc/${session.holderPid}`))?.length) {
      throw portShared(service, port, index, { session: session.uuid });
    }
  }
}

/** `takenBy`: another service of the session, or the session itself (something inside it listens). */
function portShared(service: string, port: number, index: number, takenBy: { service: string } | { session: string }): RuntimeError {
  return new RuntimeError('BERTH_RUNTIME_PORT_SHARED', { service, port, index, takenBy }, {
    details: { service, port, field: `services.${service}.ports[${index}]`, otherService: 'service' in takenBy ? takenBy.service : null },
  });
}
