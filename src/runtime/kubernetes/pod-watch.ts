/**
 * One list+watch of this installation's pods, shared by every service: inspect reads pod states
 * from it instead of polling the API every readiness interval, and log followers learn about
 * container restarts from it. The watch is re-established (list, then watch from the list's
 * resourceVersion) whenever the server ends it, as kube-apiserver does every few minutes.
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesClients } from './client.ts';

export type PodListener = (pod: V1Pod, type: 'ADDED' | 'MODIFIED' | 'DELETED') => void;

export interface PodWatch {
  /** True once the first list arrived and the watch is open: `pods()` is then the cluster's view. */
  readonly synced: boolean;
  /** Starts listing and watching (idempotent); resolves after the first list. */
  start(): Promise<void>;
  pods(matchLabels: Record<string, string>): V1Pod[];
  subscribe(listener: PodListener): () => void;
  close(): void;
}

const RETRY_MS = 1000;

export function createPodWatch(clients: KubernetesClients, namespace: string, labelSelector: string): PodWatch {
  const pods = new Map<string, V1Pod>();
  const listeners = new Set<PodListener>();
  let synced = false;
  let closed = false;
  let starting: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let retry: NodeJS.Timeout | undefined;

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
    }, RETRY_MS);
    retry.unref();
  }

  async function listAndWatch(): Promise<void> {
    const list = await clients.core.listNamespacedPod({ namespace, labelSelector });
    const seen = new Set<string>();
    for (const pod of list.items) {
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
    if (closed) return;
    const resourceVersion = list.metadata?.resourceVersion;
    controller = await new Watch(clients.config).watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { labelSelector, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      function onPodEvent(type: string, object: V1Pod) {
        const name = object?.metadata?.name;
        // ERROR (e.g. 410 Gone: resourceVersion too old) and BOOKMARK carry no pod to keep.
        if (!name || (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')) return;
        if (type === 'DELETED') pods.delete(name);
        else pods.set(name, object);
        emit(object, type);
      },
      function onWatchEnd() {
        controller = undefined;
        scheduleRestart();
      },
    );
    if (!closed) synced = true;
  }

  function start(): Promise<void> {
    if (closed) return Promise.resolve();
    starting ??= listAndWatch().catch((error: unknown) => {
      scheduleRestart();
      throw error;
    });
    return starting;
  }

  return {
    get synced() {
      return synced;
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
