/**
 * Pure manifest builders: ServicePlan -> Deployment + ClusterIP Service, and one NetworkPolicy per
 * session. Orchest's shape (docs/orchest-compatibility.md, "Service objects and argv":
 * `<name>-<session_uuid>`, one replica, named ports `port-<n>`, project/data from PVC subPaths, fsGroup) plus what Orchest lacked: a readinessProbe
 * from the plan's readiness, resources, a session NetworkPolicy and exact labels for recovery.
 */
import type { V1Container, V1Deployment, V1EnvVar, V1NetworkPolicy, V1PodSpec, V1Probe, V1Secret, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { isAbsolute, relative } from 'node:path';
import { type MountPlan, type ReadinessPlan, type ServicePlan, LABELS } from '../../plan/index.ts';
import { formatPath, KUBERNETES_ENV_VAR_NAME_PATTERN } from '../../spec/index.ts';
import {
  BERTH_APP_LABEL,
  BERTH_APP_VALUE,
  LABELS_ANNOTATION,
  MANAGED_BY_LABEL,
  sanitizeLabelValue,
  sanitizeLabels,
  selectorLabels,
} from './labels.ts';
import { resourceRequirements, serviceResources } from './resources.ts';
import { colocationAffinity, type Colocation } from './config.ts';
import { RuntimeError } from '../errors.ts';

export interface ManifestOptions {
  namespace: string;
  installationId: string;
  /** PVC holding the projects; each project is mounted from `projectSubPath(projectUuid)`. */
  projectClaim: string;
  /** PVC holding the shared data directory (mounted from its `data` subPath). */
  dataClaim: string;
  projectSubPath?: (projectUuid: string) => string;
  /**
   * Where Berth's own pod mounts the projects claim (e.g. `/projects`). When set, a service's
   * project subPath is the plan's project directory relative to it, which also covers a job
   * run's copy of the project; `projectSubPath` is then unused.
   */
  projectsMountPath?: string;
  /** Group shared by every service and Berth itself (fsGroup + runAsGroup), so files stay editable. */
  fsGroup?: number;
  /** terminationGracePeriodSeconds, in ms. */
  graceMs?: number;
  /** Pull secrets of every service pod (the registry environment images are pushed to). */
  imagePullSecrets?: string[];
  /** Pods that mount a claim run on Berth's node (BERTH_K8S_COLOCATE: ReadWriteOnce claims). */
  colocate?: Colocation;
}

export const DEFAULT_GRACE_MS = 10_000;
export const DATA_SUB_PATH = 'data';

export function defaultProjectSubPath(projectUuid: string): string {
  return `projects/${projectUuid}`;
}

/** Deployment and Service name: the plan's hostname, `<name>-<session_uuid>` (≤ 63 chars, RFC 1035). */
export function objectName(plan: ServicePlan): string {
  return plan.hostname;
}

export function networkPolicyName(sessionUuid: string): string {
  return `berth-${sessionUuid}`.slice(0, 63).replace(/-+$/, '');
}

export function portName(port: number): string {
  return `port-${port}`;
}

export interface ObjectMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Metadata of every object Berth creates: the exact labels (with the installation's) kept in an
 * annotation for recovery, their label-safe form as labels, and the managed-by label.
 */
export function objectMetadata(name: string, labels: Record<string, string>, options: Pick<ManifestOptions, 'namespace' | 'installationId'>, extraLabels: Record<string, string> = {}): ObjectMetadata {
  const exact = { ...labels, [LABELS.installation]: options.installationId };
  return {
    name,
    namespace: options.namespace,
    labels: { ...sanitizeLabels(exact), ...extraLabels, [MANAGED_BY_LABEL]: 'berth' },
    annotations: { [LABELS_ANNOTATION]: JSON.stringify(exact) },
  };
}

function metadataFor(plan: ServicePlan, options: ManifestOptions): ObjectMetadata {
  return objectMetadata(objectName(plan), plan.labels, options);
}

/** Later entries win (service < inherited < ORCHEST_*); Kubernetes would keep duplicates, so drop earlier ones. */
function finalEnv(plan: ServicePlan): { name: string; value: string; source: string }[] {
  const byName = new Map<string, { name: string; value: string; source: string }>();
  for (const variable of plan.env) {
    byName.delete(variable.name);
    byName.set(variable.name, variable);
  }
  return [...byName.values()];
}

/** Secret keys allow `[-._a-zA-Z0-9]`; env names almost always fit, the rest get a positional key. */
function secretKey(name: string, index: number): string {
  return /^[-._a-zA-Z0-9]+$/.test(name) ? name : `env-${index}`;
}

/**
 * The API server refuses an env name with a leading digit (422 on the Deployment, after Berth
 * created its Secret); Orchest's pattern allows one. `berth validate` says so for names in the
 * pipeline file; inherited ones come from the project's settings and are only known here.
 */
function checkEnvNames(plan: ServicePlan): void {
  for (const variable of plan.env) {
    const field = variable.source === 'inherited' ? `services.${plan.name}.env_variables_inherit (the project, pipeline or job variable ${variable.name})` : formatPath(['services', plan.name, 'env_variables', variable.name]);
    checkEnvName(variable.name, field);
  }
}

/** Throws BERTH_RUNTIME_BAD_ENV_NAME, naming `field`, for a name the API server would refuse with 422. */
export function checkEnvName(name: string, field: string): void {
  if (KUBERNETES_ENV_VAR_NAME_PATTERN.test(name)) return;
  throw new RuntimeError('BERTH_RUNTIME_BAD_ENV_NAME', { field, name });
}

/**
 * Inherited variables (project/pipeline/job env vars) are secrets: they go into a Secret named
 * like the service and reach the container through secretKeyRef, so `kubectl get deploy -o yaml`
 * and Deployment readers never see them (Orchest put them in the pod spec in clear).
 */
function envFor(plan: ServicePlan): V1EnvVar[] {
  checkEnvNames(plan);
  return finalEnv(plan).map((variable, index) =>
    variable.source === 'inherited'
      ? { name: variable.name, valueFrom: { secretKeyRef: { name: objectName(plan), key: secretKey(variable.name, index) } } }
      : { name: variable.name, value: variable.value },
  );
}

/** The Secret holding the inherited variables, or undefined when the service inherits none. */
export function secretManifest(plan: ServicePlan, options: ManifestOptions): V1Secret | undefined {
  const inherited = finalEnv(plan)
    .map((variable, index) => ({ ...variable, key: secretKey(variable.name, index) }))
    .filter((variable) => variable.source === 'inherited');
  if (inherited.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadataFor(plan, options),
    type: 'Opaque',
    stringData: Object.fromEntries(inherited.map((variable) => [variable.key, variable.value])),
  };
}

/**
 * The cluster's view of readiness: the Service only routes to the pod once the probe passes.
 * Berth still runs its own readiness check with the one deadline; the probe keeps kube-proxy and
 * Berth in agreement. `log` cannot be a probe (the kubelet cannot read Berth's log file).
 */
export function readinessProbe(readiness: ReadinessPlan): V1Probe | undefined {
  const timing = {
    periodSeconds: 1,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: Math.max(1, Math.ceil(readiness.timeoutMs / 1000)),
  };
  switch (readiness.type) {
    case 'port': {
      const port = readiness.ports[0];
      return port === undefined ? undefined : { tcpSocket: { port }, ...timing };
    }
    case 'http':
      return { httpGet: { path: readiness.path, port: readiness.port }, ...timing };
    case 'command':
      return { exec: { command: readiness.command }, ...timing };
    case 'log':
    case 'none':
      return undefined;
  }
}

/**
 * The subPath of a project directory on the projects claim: relative to where Berth's pod mounts
 * the claim (so a job run's copy of the project works too), else `projectSubPath(projectUuid)`.
 * `who` names what mounts it, for the error.
 */
export function projectSubPathFor(
  projectUuid: string,
  projectDir: string,
  who: string,
  options: Pick<ManifestOptions, 'projectsMountPath' | 'projectSubPath' | 'projectClaim'>,
): string {
  if (options.projectsMountPath === undefined) return (options.projectSubPath ?? defaultProjectSubPath)(projectUuid);
  const sub = relative(options.projectsMountPath, projectDir);
  if (sub === '' || sub.startsWith('..') || isAbsolute(sub)) {
    throw new RuntimeError('BERTH_RUNTIME_PROJECT_OUTSIDE_CLAIM', { who, projectDir, mountPath: options.projectsMountPath, claim: options.projectClaim });
  }
  return sub;
}

/** Volumes and mounts of project and data directories: subPaths of the two claims. */
export function mountsFor(
  mounts: readonly (MountPlan & { readOnly?: boolean })[],
  projectUuid: string,
  who: string,
  options: ManifestOptions,
): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [];
  const volumeMounts: V1VolumeMount[] = [];
  for (const mount of mounts) {
    const volumeName = mount.source === 'project' ? 'project-dir' : 'data';
    const claimName = mount.source === 'project' ? options.projectClaim : options.dataClaim;
    if (!volumes.some((v) => v.name === volumeName)) volumes.push({ name: volumeName, persistentVolumeClaim: { claimName } });
    const subPath = mount.source === 'project' ? projectSubPathFor(projectUuid, mount.hostPath, who, options) : DATA_SUB_PATH;
    volumeMounts.push({ name: volumeName, mountPath: mount.target, subPath, ...(mount.readOnly ? { readOnly: true } : {}) });
  }
  return { volumes, volumeMounts };
}

function serviceMounts(plan: ServicePlan, options: ManifestOptions): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  return mountsFor(plan.mounts, plan.labels[LABELS.project] ?? '', `service ${plan.name}`, options);
}

/**
 * Pod affinity to Berth's node for a pod that mounts a claim, when `colocate` is set: a
 * ReadWriteOnce claim mounts on one node only (docs/kubernetes.md, "Storage"). Pods without a
 * claim may run anywhere.
 */
export function colocationFor(volumes: readonly V1Volume[], options: Pick<ManifestOptions, 'colocate'>): Pick<V1PodSpec, 'affinity'> {
  if (!options.colocate || !volumes.some((volume) => volume.persistentVolumeClaim)) return {};
  return { affinity: colocationAffinity(options.colocate) };
}

/** What every pod Berth makes shares: no API token, no service links, the shared group, the registry's pull secret. */
export function podBasics(options: ManifestOptions): Pick<V1PodSpec, 'enableServiceLinks' | 'automountServiceAccountToken' | 'imagePullSecrets' | 'securityContext' | 'terminationGracePeriodSeconds'> {
  return {
    // Services reach each other by Service name only; pod env needs no service links.
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    ...(options.imagePullSecrets?.length ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {}),
    terminationGracePeriodSeconds: Math.max(0, Math.ceil((options.graceMs ?? DEFAULT_GRACE_MS) / 1000)),
    ...(options.fsGroup === undefined ? {} : { securityContext: { runAsGroup: options.fsGroup, fsGroup: options.fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } }),
  };
}

export function containerFor(plan: ServicePlan, options: ManifestOptions): V1Container {
  const { volumeMounts } = serviceMounts(plan, options);
  const probe = readinessProbe(plan.readiness);
  const resources = resourceRequirements(serviceResources(plan));
  return {
    name: plan.name,
    image: plan.image,
    // Environment images are pinned by digest and local images exist on the node: never re-pull.
    imagePullPolicy: 'IfNotPresent',
    ...(plan.command ? { command: plan.command } : {}),
    ...(plan.args ? { args: plan.args } : {}),
    env: envFor(plan),
    ports: plan.ports.map((port) => ({ name: portName(port), containerPort: port, protocol: 'TCP' })),
    ...(probe ? { readinessProbe: probe } : {}),
    ...(resources ? { resources } : {}),
    ...(volumeMounts.length ? { volumeMounts } : {}),
  };
}

export function deploymentManifest(plan: ServicePlan, options: ManifestOptions): V1Deployment {
  const metadata = metadataFor(plan, options);
  const selector = selectorLabels(options.installationId, plan.sessionUuid, plan.name);
  const { volumes } = serviceMounts(plan, options);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: 1,
      // Never two instances of one service at once (both would write the same project files).
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...metadata.labels, ...selector }, annotations: metadata.annotations },
        spec: {
          ...podBasics(options),
          containers: [containerFor(plan, options)],
          ...(volumes.length ? { volumes } : {}),
          ...colocationFor(volumes, options),
        },
      },
    },
  };
}

/** ClusterIP Service named like the hostname; undefined when the service declares no ports (Kubernetes requires one). */
export function serviceManifest(plan: ServicePlan, options: ManifestOptions): V1Service | undefined {
  if (plan.ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadataFor(plan, options),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(options.installationId, plan.sessionUuid, plan.name),
      ports: plan.ports.map((port) => ({ name: portName(port), port, targetPort: port, protocol: 'TCP' })),
    },
  };
}

/**
 * Only the session's own pods (its services and steps, which carry the session label) and Berth's
 * pods (the proxy) reach the session's services. Orchest had no policy: any pod in the namespace
 * could talk to any session's Redis.
 */
export function networkPolicyManifest(sessionUuid: string, labels: Record<string, string>, options: Pick<ManifestOptions, 'namespace' | 'installationId'>): V1NetworkPolicy {
  const session = sanitizeLabelValue(sessionUuid);
  const installation = sanitizeLabelValue(options.installationId);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMetadata(networkPolicyName(sessionUuid), { ...labels, [LABELS.installation]: options.installationId, [LABELS.session]: sessionUuid }, options),
    spec: {
      podSelector: { matchLabels: { [LABELS.installation]: installation, [LABELS.session]: session } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          _from: [
            { podSelector: { matchLabels: { [LABELS.session]: session } } },
            { podSelector: { matchLabels: { [BERTH_APP_LABEL]: BERTH_APP_VALUE } } },
          ],
        },
      ],
    },
  };
}
