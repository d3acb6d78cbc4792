/**
 * A service's state from its pods, as the cluster reports it. Reasons that will not clear up by
 * waiting (image pull failing again and again, invalid image name, crash loop, bad config) are
 * fatal, so Berth's readiness fails the service within seconds with the cluster's own words;
 * Orchest waited forever (docs/orchest-compatibility.md, "Session start and uuids"; issues #1098 and #1197). What a cluster clears up by
 * itself is not: an Unschedulable pod (an autoscaler adds the node), a first ErrImagePull (a
 * registry hiccup) and CreateContainerError (containerd's transient errors) wait within the
 * service's readiness deadline, whose timeout message then quotes the scheduler or kubelet
 * (docs/kubernetes.md, "What a cluster may do").
 *
 * A pod may hold containers Berth did not put there (istio-proxy, linkerd-proxy): the kubelet
 * lists statuses by container name, so Berth's container is always found by its name.
 */
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { RuntimeReadiness, RuntimeState } from '../types.ts';

export const FATAL_WAITING_REASONS = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'RunContainerError',
]);

/** The status of the named container; a pod of one container needs no name (older pods, tests). */
export function containerStatus(pod: V1Pod | undefined, container: string): V1ContainerStatus | undefined {
  const statuses = pod?.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === container) ?? (statuses.length === 1 ? statuses[0] : undefined);
}

function withMessage(reason: string, message: string | undefined): string {
  return message ? `${reason}: ${message}` : reason;
}

/** Newest pod first; a terminating pod of a previous instance is not the service's state. */
export function currentPod(pods: V1Pod[]): V1Pod | undefined {
  const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
  const candidates = live.length ? live : pods;
  return [...candidates].sort((a, b) => timeOf(b) - timeOf(a))[0];
}

function timeOf(pod: V1Pod): number {
  const created = pod.metadata?.creationTimestamp as unknown;
  if (created instanceof Date) return created.getTime();
  return typeof created === 'string' ? Date.parse(created) : 0;
}

function dateText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

export function podState(pod: V1Pod, name: string): RuntimeState {
  const status = pod.status;
  const unschedulable = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (unschedulable) return { state: 'waiting', reason: withMessage('Unschedulable', unschedulable.message), fatal: false };
  const container = containerStatus(pod, name);
  if (!container) {
    const phase = status?.phase ?? 'Pending';
    if (phase === 'Failed') return { state: 'exited', exitCode: null, reason: withMessage(status?.reason ?? 'Failed', status?.message) };
    return { state: 'waiting', reason: withMessage(`pod ${phase}`, status?.message), fatal: false };
  }
  const { waiting, running, terminated } = container.state ?? {};
  if (running) {
    const startedAt = dateText(running.startedAt);
    return startedAt ? { state: 'running', startedAt } : { state: 'running' };
  }
  if (waiting) {
    const reason = waiting.reason ?? 'Waiting';
    const fatal = FATAL_WAITING_REASONS.has(reason);
    let text = withMessage(reason, waiting.message);
    const last = container.lastState?.terminated;
    if (reason === 'CrashLoopBackOff' && last) text += ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})`;
    return { state: 'waiting', reason: text, fatal };
  }
  if (terminated) {
    return { state: 'exited', exitCode: terminated.exitCode ?? null, ...(terminated.reason ? { reason: withMessage(terminated.reason, terminated.message) } : {}) };
  }
  return { state: 'waiting', reason: 'container state unknown', fatal: false };
}

/** The Deployment's own failures (quota, admission) show before any pod exists. */
export function deploymentState(deployment: V1Deployment, pods: V1Pod[], container: string): RuntimeState {
  const pod = currentPod(pods);
  if (pod) return podState(pod, container);
  const failure = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return { state: 'waiting', reason: withMessage(failure.reason ?? 'ReplicaFailure', failure.message), fatal: true };
  return { state: 'waiting', reason: 'no pod yet', fatal: false };
}

/** Identity of one container instance: a new one after every restart. */
export function containerInstance(pod: V1Pod, container: string): { pod: string; restartCount: number; started: boolean } | undefined {
  const status = containerStatus(pod, container);
  const name = pod.metadata?.name;
  if (!status || !name) return undefined;
  const started = Boolean(status.state?.running || status.state?.terminated);
  return { pod: name, restartCount: status.restartCount ?? 0, started };
}

/**
 * The kubelet's readiness verdict for one container of the pod, found by name (the kubelet sorts
 * statuses by name, so an injected sidecar may come first); a pod of one container needs no name.
 */
export function podReadiness(pod: V1Pod | undefined, container: string): RuntimeReadiness {
  const name = pod?.metadata?.name;
  if (!pod || !name) return { ready: false, detail: 'no pod yet' };
  const status = containerStatus(pod, container);
  if (status?.ready) return { ready: true, detail: `pod ${name}: container ${container} is Ready (its readinessProbe passed)` };
  const condition = pod.status?.conditions?.find((c) => c.type === 'Ready' || c.type === 'ContainersReady');
  const said = condition?.message ?? condition?.reason;
  return { ready: false, detail: `pod ${name}: container ${container} not Ready yet (the kubelet's readinessProbe has not passed${said ? `: ${said}` : ''})` };
}
