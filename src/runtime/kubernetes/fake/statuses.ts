/**
 * Shapes the fake API server answers with: its objects, pod statuses as the kubelet writes them,
 * `Status` bodies for errors, and the faults a real control plane answers with.
 */

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    finalizers?: string[];
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export type PodSpec = { containers: { name: string; image: string }[]; terminationGracePeriodSeconds?: number; [key: string]: unknown };
export type Pod = Obj & { spec: PodSpec; status: Record<string, unknown> };
export type PodTemplate = { metadata?: { labels?: Record<string, string> }; spec: PodSpec };

/** One field the API server's validation refused, as in a 422 Status's `details.causes`. */
export interface Cause {
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueTooLong';
  message: string;
  field: string;
}

export function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** What an injected fault answers: a Status with its code (and Retry-After), or a reset connection. */
export type Fault = { code: number; reason: string; message: string; retryAfterSeconds?: number } | { reset: true };

/** The faults a real cluster answers with, worded as kube-apiserver words them. */
export const FAULTS = {
  /** An admission plugin's refusal (ResourceQuota, PodSecurity, a webhook): 403 like RBAC, but not RBAC. */
  admission: (message: string): Fault => ({ code: 403, reason: 'Forbidden', message }),
  /** RBAC: the service account lacks the verb. */
  rbac: (verb: string, resource: string): Fault => ({ code: 403, reason: 'Forbidden', message: `${resource} is forbidden: User "system:serviceaccount:berth:berth" cannot ${verb} resource "${resource}" in API group "" in the namespace "berth"` }),
  invalid: (message: string): Fault => ({ code: 422, reason: 'Invalid', message }),
  throttled: (retryAfterSeconds = 1): Fault => ({ code: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', retryAfterSeconds }),
  leaderChanged: (): Fault => ({ code: 503, reason: 'ServiceUnavailable', message: 'etcdserver: leader changed' }),
  reset: (): Fault => ({ reset: true }),
};

export function runningStatus(restartCount = 0, startedAt = new Date().toISOString()): Record<string, unknown> {
  return {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'c', ready: true, restartCount, image: 'x', imageID: '', state: { running: { startedAt } } }],
  };
}

/** Running, its readinessProbe not passed yet (a new pod's container warming up). */
export function notReadyStatus(startedAt = new Date().toISOString()): Record<string, unknown> {
  return {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' }],
    containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt } } }],
  };
}

/** A pod the scheduler cannot place yet (an autoscaler may add the node later). */
export function unschedulableStatus(message: string): Record<string, unknown> {
  return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] };
}

/** A new pod scheduled, its container not created yet (a replacement pod's first status). */
export function pendingStatus(): Record<string, unknown> {
  return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] };
}

export function waitingStatus(reason: string, message: string, restartCount = 0, lastExitCode?: number): Record<string, unknown> {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        restartCount,
        image: 'x',
        imageID: '',
        state: { waiting: { reason, message } },
        ...(lastExitCode === undefined ? {} : { lastState: { terminated: { exitCode: lastExitCode, reason: 'Error' } } }),
      },
    ],
  };
}
