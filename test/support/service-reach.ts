/**
 * How a test reaches a session's service directly, whatever the local runtime's isolation: through
 * the endpoint the runtime recorded (a host port, or an isolated session's forwarder socket;
 * docs/runtimes/local.md, "Isolated sessions"), and which host name steps get for it.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { BerthServer } from '../../src/server/index.ts';

export interface ServiceEndpoint {
  host: string;
  port: number;
  socketPath?: string;
}

export function serviceEndpoint(server: BerthServer, sessionUuid: string, service: string, port: number): ServiceEndpoint {
  const endpoint = server.sessions.serviceRecord(sessionUuid, service)?.endpoints?.[String(port)] as ServiceEndpoint | undefined;
  if (!endpoint) throw new Error(`service ${service} of session ${sessionUuid} has no endpoint for port ${port}`);
  return endpoint;
}

/** GET `path` straight from the service (not through the proxy). */
export function getFromService(endpoint: ServiceEndpoint, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = endpoint.socketPath ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
    const req = request({ ...target, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end();
  });
}

export function connectToService(endpoint: ServiceEndpoint, onConnect: () => void): Socket {
  return endpoint.socketPath ? connect({ path: endpoint.socketPath }, onConnect) : connect({ host: endpoint.host, port: endpoint.port }, onConnect);
}

/** The host name steps get for `service`: Orchest's `<name>-<sid>` in an isolated session, else the host's loopback. */
export function stepHostname(server: BerthServer, service: string, sessionUuid: string): string {
  return server.sessions.runtime.isolation?.mode === 'namespace' ? `${service}-${sessionUuid}` : '127.0.0.1';
}
