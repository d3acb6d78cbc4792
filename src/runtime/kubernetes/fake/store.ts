/**
 * The fake's etcd and watch cache: objects by resource, one `resourceVersion` counter that every
 * write increases, and the history of changes a watch replays from a given version. Like the
 * watch cache, the history is bounded: a watch or an exact list from a version older than what
 * it keeps answers 410 Gone `Expired`, and the client must list again (`compact()` plays that).
 * Watches honour label and field selectors, `allowWatchBookmarks` (BOOKMARK events carrying the
 * current version) and `timeoutSeconds` (the server ends the stream, as kube-apiserver does).
 */
import type { ServerResponse } from 'node:http';
import { status, type Obj } from './statuses.ts';

export interface Collection {
  group: string;
  kind: string;
  listKind: string;
}

export const COLLECTIONS: Record<string, Collection> = {
  deployments: { group: 'apps/v1', kind: 'Deployment', listKind: 'DeploymentList' },
  replicasets: { group: 'apps/v1', kind: 'ReplicaSet', listKind: 'ReplicaSetList' },
  services: { group: 'v1', kind: 'Service', listKind: 'ServiceList' },
  pods: { group: 'v1', kind: 'Pod', listKind: 'PodList' },
  networkpolicies: { group: 'networking.k8s.io/v1', kind: 'NetworkPolicy', listKind: 'NetworkPolicyList' },
  jobs: { group: 'batch/v1', kind: 'Job', listKind: 'JobList' },
  configmaps: { group: 'v1', kind: 'ConfigMap', listKind: 'ConfigMapList' },
  secrets: { group: 'v1', kind: 'Secret', listKind: 'SecretList' },
  events: { group: 'v1', kind: 'Event', listKind: 'EventList' },
};

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Change {
  version: number;
  resource: string;
  type: EventType;
  object: Obj;
}

export interface WatchRequest {
  resource: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  bookmarks: boolean;
  timeoutSeconds?: number;
  res: ServerResponse;
}

interface Watcher extends WatchRequest {
  timer?: NodeJS.Timeout;
}

/** `involvedObject.name=X` and `metadata.name=X`, the field selectors Berth sends. */
export function matchesFields(object: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    if (key === 'involvedObject.name') return (object.involvedObject as { name?: string } | undefined)?.name === value;
    return key === 'metadata.name' ? object.metadata.name === value : false;
  });
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && labels?.[key] === value;
  });
}

function tooOld(given: number, oldest: number): Record<string, unknown> {
  return status(410, 'Expired', `too old resource version: ${given} (${oldest})`);
}

export function createStore() {
  const objects = new Map<string, Map<string, Obj>>(Object.keys(COLLECTIONS).map((r) => [r, new Map()]));
  const watchers = new Set<Watcher>();
  let history: Change[] = [];
  let version = 1;
  /** Versions at or below this are compacted away: watching from them answers 410. */
  let compactedAt = 0;
  let uid = 0;

  function matches(watcher: WatchRequest, object: Obj): boolean {
    return matchesSelector(object.metadata.labels, watcher.labelSelector) && matchesFields(object, watcher.fieldSelector);
  }

  function write(watcher: Watcher, type: string, object: unknown): void {
    watcher.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  function record(resource: string, type: EventType, object: Obj): void {
    version += 1;
    object.metadata.resourceVersion = String(version);
    // A snapshot: later writes to the stored object must not change what a watch replays.
    const snapshot = structuredClone(object);
    history.push({ version, resource, type, object: snapshot });
    if (history.length > 10_000) {
      compactedAt = history[0]?.version ?? compactedAt;
      history = history.slice(1000);
    }
    for (const watcher of watchers) if (watcher.resource === resource && matches(watcher, snapshot)) write(watcher, type, snapshot);
  }

  function end(watcher: Watcher): void {
    if (!watchers.delete(watcher)) return;
    if (watcher.timer) clearTimeout(watcher.timer);
    watcher.res.end();
  }

  function bookmark(watcher: Watcher): void {
    const { group, kind } = COLLECTIONS[watcher.resource] as Collection;
    write(watcher, 'BOOKMARK', { kind, apiVersion: group, metadata: { resourceVersion: String(version) } });
  }

  return {
    get version(): number {
      return version;
    },
    get(resource: string, name: string): Obj | undefined {
      return objects.get(resource)?.get(name);
    },
    all(resource: string): Obj[] {
      return [...(objects.get(resource)?.values() ?? [])];
    },
    has(resource: string): boolean {
      return objects.has(resource);
    },
    /** Stores a new object (uid, creationTimestamp, resourceVersion) and sends ADDED. */
    add(resource: string, namespace: string, object: Obj): Obj {
      const { group, kind } = COLLECTIONS[resource] as Collection;
      uid += 1;
      const stored: Obj = {
        ...object,
        apiVersion: group,
        kind,
        metadata: { ...object.metadata, namespace, uid: `uid-${uid}`, creationTimestamp: new Date().toISOString() },
      };
      objects.get(resource)?.set(stored.metadata.name, stored);
      record(resource, 'ADDED', stored);
      return stored;
    },
    /** Records a change made to a stored object and sends MODIFIED. */
    modified(resource: string, object: Obj): void {
      if (objects.get(resource)?.get(object.metadata.name) !== object) return;
      record(resource, 'MODIFIED', object);
    },
    /** Removes the object for good (no finalizer left) and sends DELETED. */
    remove(resource: string, name: string): Obj | undefined {
      const object = objects.get(resource)?.get(name);
      if (!object) return undefined;
      objects.get(resource)?.delete(name);
      record(resource, 'DELETED', object);
      return object;
    },
    /** A list's items and version; an exact list from a compacted version is 410, like the API server. */
    list(resource: string, query: Record<string, string>): { items: Obj[]; version: number } | { gone: Record<string, unknown> } {
      const asked = Number(query.resourceVersion);
      if (query.resourceVersionMatch === 'Exact' && Number.isFinite(asked) && asked > 0 && asked <= compactedAt) return { gone: tooOld(asked, compactedAt + 1) };
      const items = [...(objects.get(resource)?.values() ?? [])].filter((o) => matchesSelector(o.metadata.labels, query.labelSelector) && matchesFields(o, query.fieldSelector));
      return { items, version };
    },
    /**
     * Opens a watch: from `resourceVersion` it replays what changed since (410 in an ERROR event
     * when that is compacted); without one (or "0") it first sends the current objects as ADDED.
     */
    watch(request: WatchRequest): void {
      const watcher: Watcher = { ...request };
      const from = request.resourceVersion && request.resourceVersion !== '0' ? Number(request.resourceVersion) : undefined;
      if (from !== undefined && (!Number.isFinite(from) || from < compactedAt)) {
        write(watcher, 'ERROR', tooOld(from, compactedAt + 1));
        watcher.res.end();
        return;
      }
      if (from === undefined) {
        for (const object of objects.get(request.resource)?.values() ?? []) if (matches(request, object)) write(watcher, 'ADDED', object);
      } else {
        for (const change of history) if (change.version > from && change.resource === request.resource && matches(request, change.object)) write(watcher, change.type, change.object);
      }
      watchers.add(watcher);
      watcher.res.on('close', () => end(watcher));
      if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
        watcher.timer = setTimeout(() => {
          // Before ending on its timeout the server tells a bookmarking client where it got to.
          if (watcher.bookmarks) bookmark(watcher);
          end(watcher);
        }, request.timeoutSeconds * 1000);
        watcher.timer.unref();
      }
    },
    /** Sends BOOKMARK to every watch that asked for them (the server does so about once a minute). */
    bookmarks(): void {
      for (const watcher of watchers) if (watcher.bookmarks) bookmark(watcher);
    },
    /** Forgets the history up to now: a watch from an older version gets 410 Gone. */
    compact(): void {
      compactedAt = version;
      history = [];
    },
    /** Ends every open watch (kube-apiserver does this every few minutes). */
    endWatches(): void {
      for (const watcher of [...watchers]) end(watcher);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
