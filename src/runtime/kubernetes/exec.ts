/**
 * Runs a command in a service's container through the pods/exec subresource (a WebSocket), the
 * way `kubectl exec` does. Kubernetes exec has no environment option, so env goes through `env`.
 */
import { Writable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import type { ExecResult } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import type { KubernetesClients } from './client.ts';

export interface PodExecTarget {
  namespace: string;
  pod: string;
  container: string;
  service: string;
}

/** Exit code from the Status the server sends when the command ends. */
export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : -1;
}

export async function execInPod(clients: KubernetesClients, target: PodExecTarget, argv: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ExecResult> {
  const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  const command = env.length ? ['env', ...env, ...argv] : argv;
  const chunks: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let socket: { close(): void } | undefined;
  try {
    const status = await new Promise<V1Status>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      new Exec(clients.config)
        .exec(target.namespace, target.pod, target.container, command, output, output, null, false, resolve)
        .then((ws) => {
          socket = ws;
          ws.on('close', () => setTimeout(() => reject(new Error('the exec stream closed without an exit status')), 100));
        }, reject);
    });
    const text = Buffer.concat(chunks).toString('utf8');
    if (status.status !== 'Success' && /executable file not found|no such file or directory/i.test(status.message ?? '')) {
      throw new RuntimeError('BERTH_RUNTIME_EXECUTABLE_NOT_FOUND', { run: 'container-exec', service: target.service, executable: argv[0] ?? '', said: status.message ?? '' });
    }
    return { exitCode: exitCodeOf(status), output: text };
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
    if ((cause as Error).message === 'timeout') {
      throw new RuntimeError('BERTH_RUNTIME_EXEC_TIMEOUT', { at: 'pod', service: target.service, argv, timeoutMs, pod: target.pod }, { cause });
    }
    throw new RuntimeError('BERTH_RUNTIME_EXEC_FAILED', { at: 'pod', service: target.service, argv, pod: target.pod, namespace: target.namespace, reason: (cause as Error).message }, { cause });
  } finally {
    if (timer) clearTimeout(timer);
    socket?.close();
  }
}
