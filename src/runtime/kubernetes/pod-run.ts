/**
 * One pod that runs to its end (an environment build's Job pod, a job step): its log is followed
 * while it runs, a state that will not clear up by waiting (image not pullable, bad config) fails
 * within seconds with the cluster's reason, and the end comes from the container's terminated
 * state, never from parsing log text. Nothing waits forever: a pod that vanished (evicted, node
 * lost, deleted) or was never created (admission refused it, the Job passed its deadline) fails
 * with the Job's `Failed` condition or its events, and a pod that has not started within
 * `startTimeoutMs` fails with the scheduler's or kubelet's last word. Status reads are retried on
 * transient API errors by the clients themselves (client.ts).
 */
import { Writable } from 'node:stream';
import { Log, type V1Pod } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';
import { createLineSplitter } from '../lines.ts';
import type { KubernetesClients } from './client.ts';
import { containerStatus, podState } from './pod-status.ts';

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
  /** The Job that owns the pod: its conditions and events say why a pod is missing. */
  job?: string;
  /** How long the pod may be missing or waiting before its container started (default 10 min). */
  startTimeoutMs?: number;
  /** A pod created directly (no Job) that is missing this long was deleted (default 2 s). */
  missingGraceMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 600_000;
const DEFAULT_MISSING_GRACE_MS = 2_000;

/** Why the Job has no pod, in the Job controller's words: its Failed condition, else its last Warning event. */
async function jobVerdict(clients: KubernetesClients, namespace: string, job: string): Promise<{ failed?: string; said?: string; gone?: boolean }> {
  let read;
  try {
    read = await clients.batch.readNamespacedJob({ name: job, namespace });
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return { gone: true };
    throw error;
  }
  const failed = read.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { failed: `${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''}` };
  const events = await clients.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${job}` }).catch(() => undefined);
  const warning = events?.items.filter((e) => e.type !== 'Normal').at(-1);
  return warning ? { said: `${warning.reason ?? 'Warning'}: ${warning.message ?? ''}` } : {};
}

function cannotStart(options: FollowPodOptions, reason: string, pod?: string): RuntimeError {
  return new RuntimeError('BERTH_RUNTIME_POD_CANNOT_START', { where: options.where, reason }, { details: { ...(pod ? { pod } : {}) } });
}

/** Waits for the pod's container to end, following its log; throws BERTH_RUNTIME_POD_CANNOT_START or _CANCELLED. */
export async function followPodToEnd(clients: KubernetesClients, options: FollowPodOptions): Promise<PodEnd> {
  const { namespace } = options;
  const splitter = options.onLog ? createLineSplitter(options.onLog) : undefined;
  let logDone: Promise<void> | undefined;
  let logController: AbortController | undefined;
  const startDeadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  let everStarted = false;
  let missingSince: number | undefined;
  let lastWord = 'no pod yet';
  try {
    for (;;) {
      if (options.signal?.aborted) {
        await options.onAbort?.().catch(() => undefined);
        throw new RuntimeError('BERTH_RUNTIME_POD_CANCELLED', { where: options.where });
      }
      const pod: V1Pod | undefined = (await clients.core.listNamespacedPod({ namespace, labelSelector: options.selector })).items.find((p) => !p.metadata?.deletionTimestamp);
      const state = pod ? podState(pod, options.container) : undefined;
      if (state?.state === 'waiting' && state.fatal) throw cannotStart(options, state.reason, pod?.metadata?.name);
      if (!pod) {
        missingSince ??= Date.now();
        const verdict = options.job ? await jobVerdict(clients, namespace, options.job) : {};
        if (verdict.failed) throw cannotStart(options, `its Job failed: ${verdict.failed}`);
        if (verdict.gone) throw cannotStart(options, `its Job ${options.job} was deleted`);
        if (verdict.said) lastWord = verdict.said;
        // A pod of its own (no Job to make another) that is gone was evicted or deleted: nothing brings it back.
        if (!options.job && Date.now() - missingSince >= (options.missingGraceMs ?? DEFAULT_MISSING_GRACE_MS)) {
          throw cannotStart(options, everStarted ? 'its pod disappeared while it ran (evicted, its node lost, or deleted)' : 'its pod disappeared before it started (evicted or deleted)');
        }
      } else {
        missingSince = undefined;
        if (state?.state === 'waiting') lastWord = state.reason;
      }
      const started = state?.state === 'running' || state?.state === 'exited';
      everStarted ||= started;
      const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      if (!started && !everStarted && Date.now() >= startDeadline) {
        throw cannotStart(options, `it did not start within ${Math.round(startTimeoutMs / 1000)} s; last: ${lastWord}`, pod?.metadata?.name);
      }
      if (everStarted && missingSince !== undefined && Date.now() - missingSince >= startTimeoutMs) {
        throw cannotStart(options, `its pod disappeared while it ran and no other took its place within ${Math.round(startTimeoutMs / 1000)} s; last: ${lastWord}`);
      }
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
      // Berth's container (found by name: a sidecar may be listed first): its terminated state is the end.
      const terminated = containerStatus(pod, options.container)?.state?.terminated;
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
