import { request } from 'node:http';
import type { AttemptContext, CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

/** Ready when GET `path` on `port` answers with one of the accepted status codes. */
export class HttpCheck implements ReadinessCheck {
  readonly description: string;
  readonly #port: number;
  readonly #path: string;
  readonly #status: number[];

  constructor(port: number, path: string, status: number[]) {
    this.#port = port;
    this.#path = path.startsWith('/') ? path : `/${path}`;
    this.#status = status;
    this.description = `HTTP GET ${this.#path} on port ${port} answering ${describeStatuses(status)}`;
  }

  async attempt(probe: ReadinessProbe, context: AttemptContext): Promise<CheckResult> {
    const { host, port, socketPath } = await probe.endpoint(this.#port);
    return new Promise((resolve) => {
      const req = request({ ...(socketPath ? { socketPath } : { host, port }), path: this.#path, method: 'GET', signal: context.signal, headers: { 'user-agent': 'berth-readiness' } }, (res) => {
        res.resume(); // only the status matters; drain so the socket closes
        const status = res.statusCode ?? 0;
        const ready = this.#status.includes(status);
        resolve({ ready, detail: `GET ${this.#path} answered ${status}${ready ? '' : ` (waiting for ${describeStatuses(this.#status)})`}` });
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        const what = error.name === 'AbortError' ? 'no answer within the attempt\'s time' : (error.code ?? error.message);
        resolve({ ready: false, detail: `GET ${this.#path} on ${host}:${port}: ${what}` });
      });
      req.end();
    });
  }
}

/** `[200, 201, …, 399]` reads as "200-399"; `[200, 204]` as "200 or 204". */
export function describeStatuses(statuses: readonly number[]): string {
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(' or '));
    i = j + 1;
  }
  return parts.join(' or ');
}
