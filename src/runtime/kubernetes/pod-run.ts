/**
 * One pod that runs to its end (an environment build's Job pod, a job step): its log is followed
 * while it runs, a state that will not clear up by waiting (image not pullable, bad config, no
 * node fits) fails within seconds with the cluster's reason, and the end comes from the container's
 * terminated state, never from parsing log text.
 */
import { Writable } from 'node:stream';
import { Log, type V1Pod } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';
import { createLineSplitter } from '../lines.ts';
import type { KubernetesClients } from './client.ts';
import { podState } from './pod-status.ts';

export interface PodEnd {
  /** null: the pod failed without its container ending (evicted, deleted). */
  exitCode: number | null;
  /** `Completed`, `Error`, `OOMKilled`, … */
  reason?: string;
  /** The termination message (BuildKit writes its metadata JSON there). */
  message?: string;
}

export interface FollowPodOptions {
  namespace: string;
  /** Label selector of the pod (a Job's pods are found by label). */
  selector: string;
  container: string;
  /** What the pod is, for errors: `job step "train" (pod …)`. */
  where: string;
  /** Whole lines, or raw chunks with `onChunk` (a log file keeps the bytes as printed). */
  onLog?: (line: string) => void;
  onChunk?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** Called once on abort, before the cancellation error (delete the pod or the Job). */
  onAbort?: () => Promise<void>;
  pollMs?: number;
}

/** Waits for the pod's container to end, following its log; throws BERTH_RUNTIME_POD_CANNOT_START or _CANCELLED. */
export async function followPodToEnd(clients: KubernetesClients, options: FollowPodOptions): Promise<PodEnd> {
  const { namespace } = options;
  const splitter = options.onLog ? createLineSplitter(options.onLog) : undefined;
  let logDone: Promise<void> | undefined;
  let logController: AbortController | undefined;
  try {
    for (;;) {
      if (options.signal?.aborted) {
        await options.onAbort?.().catch(() => undefined);
        throw new RuntimeError('BERTH_RUNTIME_POD_CANCELLED', `${options.where} was cancelled`);
      }
      const pod: V1Pod | undefined = (await clients.core.listNamespacedPod({ namespace, labelSelector: options.selector })).items[0];
      const state = pod ? podState(pod) : undefined;
      if (state?.state === 'waiting' && state.fatal) {
        throw new RuntimeError('BERTH_RUNTIME_POD_CANNOT_START', `${options.where} cannot start: ${state.reason}`, { details: { pod: pod?.metadata?.name } });
      }
      const started = state?.state === 'running' || state?.state === 'exited';
      if (!logDone && pod?.metadata?.name && started) {
        let end!: () => void;
        logDone = new Promise<void>((resolve) => (end = resolve));
        const sink = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            options.onChunk?.(chunk);
            splitter?.push(chunk.toString('utf8'));
            callback();
          },
          final(callback) {
            splitter?.flush();
            end();
            callback();
          },
        });
        sink.on('close', () => end());
        logController = await new Log(clients.config).log(namespace, pod.metadata.name, options.container, sink, { follow: true }).catch(() => {
          end();
          return undefined;
        });
      }
      // One container per pod: its terminated state is the end.
      const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
      if (state?.state === 'exited' && !terminated) return { exitCode: null, ...(state.reason ? { reason: state.reason } : {}) };
      if (terminated) {
        // The log stream ends with the container; a little slack for the last lines, never a hang.
        if (logDone) await Promise.race([logDone, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
        return { exitCode: terminated.exitCode, ...(terminated.reason ? { reason: terminated.reason } : {}), ...(terminated.message ? { message: terminated.message } : {}) };
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  } finally {
    logController?.abort();
  }
}
