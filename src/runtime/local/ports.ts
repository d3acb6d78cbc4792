/** Fail fast when a declared port is taken: on the host, services listen on their real ports. */
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

/** Throws BERTH_RUNTIME_PORT_IN_USE for the first declared port something already listens on. */
export async function assertPortsFree(service: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    const inodes = listeningInodes(port);
    const taken = inodes === undefined ? await bindFails(port) : inodes.length > 0;
    if (!taken) continue;
    const holder = inodes && inodes.length > 0 ? socketHolder(inodes) : undefined;
    const who = holder ? ` by pid ${holder.pid} (${holder.command || 'unknown command'})` : '';
    throw new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', `service ${service}: port ${port} is already in use on this host${who}`, {
      hint: holder
        ? `stop pid ${holder.pid} or change services.${service}.ports; the local runtime runs services on their real ports`
        : `free port ${port} or change services.${service}.ports; the local runtime runs services on their real ports`,
      details: { service, port, holder: holder ?? null },
    });
  }
}
