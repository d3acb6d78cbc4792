import { connect } from 'node:net';
import type { Endpoint } from '../../runtime/index.ts';
import type { AttemptContext, CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

/**
 * How long a connection through an engine's port proxy must stay open (or bring a banner) to prove
 * a listener behind it. docker-proxy accepts, finds nothing listening inside, and closes within a
 * millisecond or two (measured: docs/runtimes/docker.md); a real service holds the connection open
 * waiting for its client (Redis, Postgres) or greets it (SMTP, SSH).
 */
export const LISTENER_PROOF_MS = 250;

/**
 * Connects to `endpoint`; resolves undefined when a listener is proven, else what went wrong. A
 * direct endpoint is proven by the accept itself; a proxied one by the rule above.
 */
function tryConnect(endpoint: Endpoint, signal: AbortSignal): Promise<string | undefined> {
  const { host, port } = endpoint;
  if (signal.aborted) return Promise.resolve(`no time left to connect to ${host}:${port}`);
  return new Promise((resolve) => {
    const socket = connect(endpoint.socketPath ? { path: endpoint.socketPath } : { host, port });
    let proofTimer: NodeJS.Timeout | undefined;
    const done = (problem: string | undefined): void => {
      clearTimeout(proofTimer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(problem);
    };
    const onAbort = (): void => done(`no answer from ${host}:${port} within the attempt's time`);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${host}:${port}: ${error.code ?? error.message}`));
    socket.once('connect', () => {
      if (!endpoint.proxied) return done(undefined);
      const closedAtOnce = `${host}:${port} accepted the connection and closed it at once: the engine's port proxy answered, nothing listens behind it yet`;
      socket.once('data', () => done(undefined)); // a banner: the service itself speaks
      socket.once('end', () => done(closedAtOnce));
      socket.once('close', () => done(closedAtOnce));
      proofTimer = setTimeout(() => done(undefined), LISTENER_PROOF_MS);
    });
  });
}

/**
 * Asks an endpoint's probe socket (a forwarder into an isolated local session, which would accept
 * whether or not anything listens behind it) whether the port has a listener: `ok`, or why not.
 */
function tryProbe(endpoint: Endpoint & { probeSocketPath: string }, signal: AbortSignal): Promise<string | undefined> {
  const where = `port ${endpoint.port} inside the session`;
  if (signal.aborted) return Promise.resolve(`no time left to ask about ${where}`);
  return new Promise((resolve) => {
    const socket = connect({ path: endpoint.probeSocketPath });
    let answer = '';
    const done = (problem: string | undefined): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(problem);
    };
    const onAbort = (): void => done(`no answer about ${where} within the attempt's time`);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${endpoint.probeSocketPath}: ${error.code ?? error.message}`));
    socket.once('close', () => done(answer.trim() === 'ok' ? undefined : `${where}: ${answer.trim() || 'no answer'}`));
  });
}

/** Ready when every listed port has a listener (testcontainers' forListeningPorts). */
export class PortCheck implements ReadinessCheck {
  readonly description: string;
  readonly #ports: number[];

  constructor(ports: number[]) {
    this.#ports = ports;
    this.description = `TCP ${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')} accepting connections`;
  }

  async attempt(probe: ReadinessProbe, context: AttemptContext): Promise<CheckResult> {
    for (const port of this.#ports) {
      const endpoint = await probe.endpoint(port);
      const problem = endpoint.probeSocketPath
        ? await tryProbe({ ...endpoint, probeSocketPath: endpoint.probeSocketPath }, context.signal)
        : await tryConnect(endpoint, context.signal);
      if (problem) return { ready: false, detail: `port ${port} not accepting connections (${problem})` };
    }
    return { ready: true, detail: `${this.#ports.length === 1 ? 'port' : 'ports'} ${this.#ports.join(', ')} open` };
  }
}
