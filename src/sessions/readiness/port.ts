import { connect } from 'node:net';
import type { AttemptContext, CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

function tryConnect(host: string, port: number, signal: AbortSignal): Promise<string | undefined> {
  if (signal.aborted) return Promise.resolve(`no time left to connect to ${host}:${port}`);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(problem);
    };
    const onAbort = (): void => done(`no answer from ${host}:${port} within the attempt's time`);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${host}:${port}: ${error.code ?? error.message}`));
  });
}

/** Ready when every listed port accepts a TCP connection (testcontainers' forListeningPorts). */
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
      const problem = await tryConnect(endpoint.host, endpoint.port, context.signal);
      if (problem) return { ready: false, detail: `port ${port} not accepting connections (${problem})` };
    }
    return { ready: true, detail: `${this.#ports.length === 1 ? 'port' : 'ports'} ${this.#ports.join(', ')} open` };
  }
}
