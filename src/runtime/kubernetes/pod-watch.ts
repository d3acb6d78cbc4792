/**
 * One list+watch of this installation's pods, shared by every service: inspect reads pod states
 * from it instead of polling the API every readiness interval, and log followers learn about
 * container restarts from it. When the server ends the watch, as kube-apiserver does every few
 * minutes, it resumes from the last resourceVersion seen (events and BOOKMARKs carry it); a 410
 * Gone (that version compacted) lists again and watches from the list's version.
 * A watch the server refuses (403: the Role lacks `watch`; 5xx) is not synced: `start()` rejects
 * with the reason, `error` keeps it, callers list pods from the API instead, and the watch is
 * tried again with backoff (1 s doubling to 30 s) rather than every second.
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';
import type { KubernetesClients } from './client.ts';

export type PodListener = (pod: V1Pod, type: 'ADDED' | 'MODIFIED' | 'DELETED') => void;

export interface PodWatch {
  /** True once the first list arrived and the watch is open: `pods()` is then the cluster's view. */
  readonly synced: boolean;
  /** Why the last list or watch failed, until one succeeds again. */
  readonly error: Error | undefined;
  /** Starts listing and watching (idempotent); resolves after the first list. */
  start(): Promise<void>;
  pods(matchLabels: Record<string, string>): V1Pod[];
  subscribe(listener: PodListener): () => void;
  close(): void;
}

const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** A watch the server ended sooner than this is not resumed at once (a server ending every watch would make a loop). */
const RESUME_MIN_OPEN_MS = 1000;

export function createPodWatch(clients: KubernetesClients, namespace: string, labelSelector: string): PodWatch {
  const pods = new Map<string, V1Pod>();
  const listeners = new Set<PodListener>();
  let synced = false;
  let closed = false;
  let failures = 0;
  let lastError: Error | undefined;
  let starting: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let retry: NodeJS.Timeout | undefined;
  /** The last version seen: a watch the server ended resumes from it. */
  let resourceVersion: string | undefined;

  function emit(pod: V1Pod, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void {
    for (const listener of listeners) {
      try {
        listener(pod, type);
      } catch {
        // a listener's failure must not stop the watch for the others
      }
    }
  }

  function scheduleRestart(): void {
    synced = false;
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      starting = undefined;
      void start().catch(() => scheduleRestart());
    }, Math.min(RETRY_MS * 2 ** failures, MAX_RETRY_MS));
    retry.unref();
  }

  /** The pod list, replacing the cache (what changed since is told to listeners); returns its resourceVersion. */
  async function list(): Promise<string | undefined> {
    const listed = await clients.core.listNamespacedPod({ namespace, labelSelector });
    const seen = new Set<string>();
    for (const pod of listed.items) {
      const name = pod.metadata?.name;
      if (!name) continue;
      seen.add(name);
      const known = pods.has(name);
      pods.set(name, pod);
      emit(pod, known ? 'MODIFIED' : 'ADDED');
    }
    for (const [name, pod] of pods) {
      if (!seen.has(name)) {
        pods.delete(name);
        emit(pod, 'DELETED');
      }
    }
    return listed.metadata?.resourceVersion;
  }

  /**
   * Watches from `from`. When the server ends the watch (its timeout, every few minutes) the watch
   * resumes from the last version seen (an event's or a BOOKMARK's), as client-go's reflector
   * does, without listing every pod again; a 410 Gone (`Expired`: that version is compacted away)
   * lists again first. A refusal rejects with the reason.
   */
  async function watchFrom(from: string | undefined): Promise<void> {
    let refused: Error | undefined;
    let expired = false;
    const opened = Date.now();
    controller = await new Watch(clients.config).watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { labelSelector, allowWatchBookmarks: true, ...(from ? { resourceVersion: from } : {}) },
      function onPodEvent(type: string, object: V1Pod & { code?: number }) {
        if (type === 'ERROR') {
          expired ||= object?.code === 410;
          return;
        }
        const version = object?.metadata?.resourceVersion;
        if (version) resourceVersion = version;
        const name = object?.metadata?.name;
        // BOOKMARK carries only the version reached: nothing to keep.
        if (!name || (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')) return;
        if (type === 'DELETED') pods.delete(name);
        else pods.set(name, object);
        emit(object, type);
      },
      function onWatchEnd(error: unknown) {
        controller = undefined;
        if (closed) return;
        if (error && !(error instanceof Error && error.name === 'AbortError')) {
          refused = error instanceof Error ? error : new Error(String(error));
          scheduleRestart();
          return;
        }
        if (expired || !resourceVersion || Date.now() - opened < RESUME_MIN_OPEN_MS) {
          // List again: right away after a 410 (the answer is "list"), with backoff when watches end at once.
          if (expired) resourceVersion = undefined;
          if (expired) relist();
          else scheduleRestart();
          return;
        }
        void watchFrom(resourceVersion).catch(() => scheduleRestart());
      },
    );
    if (refused) {
      const code = (refused as { statusCode?: number }).statusCode;
      throw new RuntimeError('BERTH_RUNTIME_WATCH_REFUSED', { namespace, selector: labelSelector, httpCode: code, reason: refused.message }, { cause: refused });
    }
  }

  async function listAndWatch(): Promise<void> {
    resourceVersion = await list();
    if (closed) return;
    await watchFrom(resourceVersion);
    if (!closed) {
      synced = true;
      failures = 0;
      lastError = undefined;
    }
  }

  function relist(): void {
    synced = false;
    starting = undefined;
    void start().catch(() => undefined);
  }

  function start(): Promise<void> {
    if (closed) return Promise.resolve();
    starting ??= listAndWatch().catch((error: unknown) => {
      failures += 1;
      lastError = error instanceof Error ? error : new Error(String(error));
      synced = false;
      scheduleRestart();
      throw error;
    });
    return starting;
  }

  return {
    get synced() {
      return synced;
    },
    get error() {
      return lastError;
    },
    start,
    pods(matchLabels: Record<string, string>): V1Pod[] {
      return [...pods.values()].filter((pod) => Object.entries(matchLabels).every(([key, value]) => pod.metadata?.labels?.[key] === value));
    },
    subscribe(listener: PodListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close(): void {
      closed = true;
      synced = false;
      if (retry) clearTimeout(retry);
      controller?.abort();
      listeners.clear();
    },
  };
}
