/**
 * What the fake's control plane does after a write, as the real controllers do it, asynchronously:
 * a Deployment gets a ReplicaSet (`<deployment>-<pod-template-hash>`, owned by it) which keeps its
 * replica count of live pods (`<replicaset>-<suffix>`, owned by it), so a pod evicted or deleted
 * is replaced through the ReplicaSet; a Job gets one pod (the fake's Job controller never retries).
 * Deletes are what the API server and the garbage collector make of them: a pod stays Terminating
 * (`deletionTimestamp`, its grace period) until the kubelet has stopped it; `Foreground` marks the
 * owner (202, finalizer `foregroundDeletion`) until its dependents are gone; `Background` removes
 * the owner and the collector its dependents after; `Orphan` (a Job's default through the API)
 * leaves its pods running without an owner.
 */
import { COLLECTIONS, type Store } from './store.ts';
import type { Obj, OwnerReference, Pod, PodSpec, PodTemplate } from './statuses.ts';

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface ControllerHooks {
  /** The first status of a new pod (the fake's `podStatus`). */
  firstStatus(pod: Pod): Record<string, unknown>;
  /** Statuses as the kubelet lists them (sidecars added, sorted by name). */
  kubeletStatus(pod: Pod, status: Record<string, unknown>): Record<string, unknown>;
  /** The pod spec after an injector's sidecars. */
  injectSidecars(spec: PodSpec): PodSpec;
  /** How long the kubelet takes to stop a Terminating pod's containers, capped by its grace period. */
  terminatingMs(): number;
  /** The pod's containers stopped: log streams end. */
  podStopped(pod: Pod): void;
}

const OWNER_RESOURCE: Record<string, string> = { Deployment: 'deployments', ReplicaSet: 'replicasets', Job: 'jobs' };
const DEFAULT_POLICY: Record<string, PropagationPolicy> = { jobs: 'Orphan' };

function ownerRef(owner: Obj): OwnerReference {
  return { apiVersion: owner.apiVersion ?? 'v1', kind: owner.kind ?? '', name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function ownedBy(object: Obj, owner: Obj): boolean {
  return (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid);
}

export function createControllers(store: Store, hooks: ControllerHooks) {
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let scheduled: NodeJS.Timeout | undefined;

  function later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  }

  /** Controllers and the collector run shortly after a change, never inside the request that made it. */
  function schedule(): void {
    if (scheduled) return;
    scheduled = setTimeout(() => {
      timers.delete(scheduled as NodeJS.Timeout);
      scheduled = undefined;
      reconcile();
    }, 5);
    timers.add(scheduled);
  }

  function suffix(length: number): string {
    seq += 1;
    return seq.toString(36).padStart(length, 'x');
  }

  function dependents(owner: Obj): { resource: string; object: Obj }[] {
    return ['replicasets', 'pods'].flatMap((resource) => store.all(resource).filter((o) => ownedBy(o, owner)).map((object) => ({ resource, object })));
  }

  function createPod(namespace: string, owner: Obj, template: PodTemplate, first?: Record<string, unknown>): Pod {
    const extra = owner.kind === 'Job' ? { 'job-name': owner.metadata.name } : {};
    const pod = {
      metadata: { name: `${owner.metadata.name}-${suffix(5)}`, labels: { ...(template.metadata?.labels ?? {}), ...extra }, ownerReferences: [ownerRef(owner)] },
      spec: hooks.injectSidecars(structuredClone(template.spec)),
      status: {},
    } as Pod;
    pod.status = hooks.kubeletStatus(pod, first ?? hooks.firstStatus(pod));
    return store.add('pods', namespace, pod) as Pod;
  }

  function createReplicaSet(deployment: Obj): void {
    const spec = deployment.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template: PodTemplate };
    const hash = suffix(10);
    const template: PodTemplate = { ...spec.template, metadata: { ...spec.template.metadata, labels: { ...(spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash } } };
    store.add('replicasets', deployment.metadata.namespace ?? 'default', {
      metadata: { name: `${deployment.metadata.name}-${hash}`, labels: template.metadata?.labels ?? {}, ownerReferences: [ownerRef(deployment)] },
      spec: { replicas: spec.replicas ?? 1, selector: { matchLabels: { ...(spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash } }, template },
      status: { replicas: 0 },
    });
  }

  /** A ReplicaSet not being deleted keeps `replicas` pods that are not Terminating. */
  function reconcileReplicaSet(rs: Obj, first?: Record<string, unknown>): Pod | undefined {
    if (rs.metadata.deletionTimestamp) return undefined;
    const spec = rs.spec as { replicas?: number; template: PodTemplate };
    const live = store.all('pods').filter((p) => ownedBy(p, rs) && !p.metadata.deletionTimestamp).length;
    let created: Pod | undefined;
    for (let i = live; i < (spec.replicas ?? 1); i += 1) created = createPod(rs.metadata.namespace ?? 'default', rs, spec.template, first);
    return created;
  }

  /** One pass of the ReplicaSet controller and the garbage collector. */
  function reconcile(): void {
    for (const rs of store.all('replicasets')) reconcileReplicaSet(rs);
    for (const resource of ['deployments', 'replicasets', 'jobs', 'pods']) {
      for (const object of store.all(resource)) {
        const owners = object.metadata.ownerReferences ?? [];
        const ownerGone = owners.length > 0 && owners.every((ref) => store.get(OWNER_RESOURCE[ref.kind] ?? '', ref.name)?.metadata.uid !== ref.uid);
        const ownerForeground = owners.some((ref) => {
          const owner = store.get(OWNER_RESOURCE[ref.kind] ?? '', ref.name);
          return owner !== undefined && owner.metadata.uid === ref.uid && owner.metadata.finalizers?.includes('foregroundDeletion');
        });
        if ((ownerGone || ownerForeground) && !object.metadata.deletionTimestamp) remove(resource, object.metadata.name, { policy: ownerForeground ? 'Foreground' : 'Background' });
        if (object.metadata.finalizers?.includes('foregroundDeletion') && dependents(object).length === 0) {
          store.remove(resource, object.metadata.name);
          schedule(); // its own owner may be waiting for it
        }
      }
    }
  }

  function terminatePod(pod: Pod, graceSeconds: number): void {
    if (graceSeconds <= 0) {
      store.remove('pods', pod.metadata.name);
      hooks.podStopped(pod);
      schedule();
      return;
    }
    pod.metadata.deletionTimestamp = new Date(Date.now() + graceSeconds * 1000).toISOString();
    pod.metadata.deletionGracePeriodSeconds = graceSeconds;
    store.modified('pods', pod);
    later(Math.min(hooks.terminatingMs(), graceSeconds * 1000), () => {
      if (store.get('pods', pod.metadata.name) !== pod) return;
      store.remove('pods', pod.metadata.name);
      hooks.podStopped(pod);
      schedule();
    });
    schedule();
  }

  /**
   * Deletes as the API server does; answers the HTTP code (200 gone or Terminating, 202 marked for
   * foreground deletion) and the object, or undefined when there is none.
   */
  function remove(resource: string, name: string, options: { gracePeriodSeconds?: number; policy?: PropagationPolicy } = {}): { code: number; object: Obj } | undefined {
    const object = store.get(resource, name);
    if (!object) return undefined;
    if (resource === 'pods') {
      const pod = object as Pod;
      const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      // Deleting a Terminating pod again only shortens its grace period.
      if (pod.metadata.deletionTimestamp && grace > 0) return { code: 200, object };
      terminatePod(pod, grace);
      return { code: 200, object };
    }
    if (!['deployments', 'replicasets', 'jobs'].includes(resource)) {
      store.remove(resource, name);
      return { code: 200, object };
    }
    const policy = options.policy ?? DEFAULT_POLICY[resource] ?? 'Background';
    if (object.metadata.deletionTimestamp) return { code: 202, object };
    if (policy === 'Foreground') {
      object.metadata.deletionTimestamp = new Date().toISOString();
      object.metadata.finalizers = [...(object.metadata.finalizers ?? []), 'foregroundDeletion'];
      store.modified(resource, object);
      schedule();
      return { code: 202, object };
    }
    if (policy === 'Orphan') {
      for (const { resource: kind, object: dependent } of dependents(object)) {
        dependent.metadata.ownerReferences = (dependent.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== object.metadata.uid);
        store.modified(kind, dependent);
      }
    }
    store.remove(resource, name);
    schedule();
    return { code: 200, object };
  }

  return {
    /** After a Deployment, ReplicaSet or Job was created: what its controller creates. */
    created(resource: string, object: Obj): void {
      if (resource === 'deployments') createReplicaSet(object);
      if (resource === 'jobs') createPod(object.metadata.namespace ?? 'default', object, (object.spec as { template: PodTemplate }).template);
      if (resource === 'deployments' || resource === 'replicasets') reconcile();
    },
    remove,
    /**
     * An eviction: the pod goes Terminating and its ReplicaSet creates the replacement at once
     * (a Terminating pod no longer counts), with `first` as its status; returns the new pod.
     */
    evict(name: string, first?: Record<string, unknown>): Pod {
      const pod = store.get('pods', name) as Pod | undefined;
      const ref = pod?.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
      const rs = ref && store.get('replicasets', ref.name);
      if (!pod || !rs) throw new Error(`no pod ${name} owned by a ReplicaSet to replace it`);
      terminatePod(pod, pod.spec.terminationGracePeriodSeconds ?? 30);
      const created = reconcileReplicaSet(rs, first);
      if (!created) throw new Error(`ReplicaSet ${rs.metadata.name} made no new pod`);
      return created;
    },
    /** A Job's pods deleted by its controller (it failed). */
    deleteJobPods(job: Obj): void {
      for (const pod of store.all('pods').filter((p) => ownedBy(p, job))) remove('pods', pod.metadata.name);
    },
    close(): void {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

export type Controllers = ReturnType<typeof createControllers>;
export { COLLECTIONS };
