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
    const inodes = listeningInodes(port);
    const taken = inodes === undefined ? await bindFails(port) : inodes.length > 0;
    if (!taken) continue;
    const holder = inodes && inodes.length > 0 ? socketHolder(inodes) : undefined;
    const who = holder ? ` by pid ${holder.pid} (${holder.command || 'unknown command'})` : '';
    const mode = `isolation: host, ${why}`;
    throw new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', `service ${service}: port ${port} is already in use on this host${who}`, {
      hint: holder
        ? `stop pid ${holder.pid} or change services.${service}.ports[${index}]; ${mode}`
        : `free port ${port} or change services.${service}.ports[${index}]; ${mode}`,
      details: { service, port, holder: holder ?? null, isolation: 'host' },
    });
  }
}

/**
 * In an isolated session its services share one network: a port another service of the session
 * declared (`claimedBy`), or something inside already listens on (read from the holder's
 * /proc/<pid>/net), is refused before this service starts, naming the field to change.
 */
export function assertPortsFreeInSession(
  service: string,
  ports: number[],
  session: { uuid: string; holderPid: number; claimedBy: (port: number) => string | undefined },
): void {
  for (const [index, port] of ports.entries()) {
    const field = `services.${service}.ports[${index}]`;
    const other = session.claimedBy(port);
    const inodes = other === undefined ? listeningInodes(port, `/proc/${session.holderPid}`) : undefined;
    if (other === undefined && !inodes?.length) continue;
    const who = other !== undefined ? `service ${other} of this session already uses it` : `something inside session ${session.uuid} already listens on it`;
    throw new RuntimeError('BERTH_RUNTIME_PORT_SHARED', `service ${service}: port ${port} (${field}) cannot be used: ${who}`, {
      hint: `the services of an isolated local session share one network, so each needs its own port: change ${field} (and the port the program listens on)`,
      details: { service, port, field, otherService: other ?? null },
    });
  }
}
