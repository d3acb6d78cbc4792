/**
 * `--runtime kubernetes` settings from the environment, so the Deployment in deploy/kubernetes
 * configures Berth without a config file. The namespace defaults to the pod's own (the service
 * account's namespace file), as the Role only grants rights there.
 *
 * Berth runs inside the cluster: its proxy and its own readiness checks reach services at
 * `<name>.<namespace>.svc` (only the cluster's DNS answers), project paths are the projects claim's
 * mount, and the session NetworkPolicies admit Berth's pod. Outside a cluster none of that works,
 * so a start without the pod's service account is refused (BERTH_RUNTIME_OUT_OF_CLUSTER) unless
 * BERTH_KUBERNETES_OUT_OF_CLUSTER=1 asks for it, for tests and development against a test API
 * server (docs/kubernetes.md, "Outside the cluster").
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Affinity } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';
import { BERTH_APP_LABEL, BERTH_APP_VALUE } from './labels.ts';
import type { KubernetesRuntimeOptions } from './runtime.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Pods that mount the projects or data claim are scheduled on the node of the pod with these
 * labels (Berth's own): with ReadWriteOnce claims, the default of deploy/kubernetes, no other
 * node can mount them.
 */
export interface Colocation {
  labels: Record<string, string>;
  topologyKey: string;
}

/** What the runtime's manifests add to every pod that mounts a claim when `colocate` is set. */
export function colocationAffinity(colocate: Colocation): V1Affinity {
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...colocate.labels } }, topologyKey: colocate.topologyKey }],
    },
  };
}

export type KubernetesSettings = KubernetesRuntimeOptions & { colocate?: Colocation };

/** In a pod: the kubelet sets KUBERNETES_SERVICE_HOST and mounts the service account's token. */
export function inCluster(env: NodeJS.ProcessEnv, serviceAccountDir = SERVICE_ACCOUNT_DIR): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(join(serviceAccountDir, 'token'));
}

/**
 * BERTH_K8S_NAMESPACE, BERTH_KUBECONFIG (else in-cluster), BERTH_K8S_PROJECTS_CLAIM (default
 * berth-projects), BERTH_K8S_PROJECTS_MOUNT (default /projects), BERTH_K8S_DATA_CLAIM (default
 * berth-data), BERTH_K8S_FS_GROUP (default 1000); environment builds: BERTH_K8S_REGISTRY (the
 * repository images are pushed to), BERTH_K8S_REGISTRY_SECRET (dockerconfigjson Secret, used to
 * push and by service pods to pull), BERTH_K8S_REGISTRY_INSECURE=1 (plain HTTP),
 * BERTH_K8S_BUILDKIT_IMAGE; BERTH_K8S_COLOCATE=on|off (default on in a cluster: pods that mount
 * the claims run on Berth's node); BERTH_KUBERNETES_OUT_OF_CLUSTER=1 (development only, see above).
 * `serviceAccountDir` is for tests.
 */
export function kubernetesOptionsFromEnv(env: NodeJS.ProcessEnv, installationId: string, graceMs?: number, serviceAccountDir = SERVICE_ACCOUNT_DIR): KubernetesSettings {
  const inPod = inCluster(env, serviceAccountDir);
  let namespace = env.BERTH_K8S_NAMESPACE;
  if (!namespace) {
    const file = join(serviceAccountDir, 'namespace');
    try {
      namespace = readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new RuntimeError('BERTH_RUNTIME_NO_NAMESPACE', {}, { cause });
    }
    if (!namespace) {
      throw new RuntimeError('BERTH_RUNTIME_NO_NAMESPACE', { emptyFile: file });
    }
  }
  const fsGroup = env.BERTH_K8S_FS_GROUP === undefined ? 1000 : Number(env.BERTH_K8S_FS_GROUP);
  if (!Number.isInteger(fsGroup) || fsGroup < 0) {
    throw new RuntimeError('BERTH_RUNTIME_BAD_FS_GROUP', { value: env.BERTH_K8S_FS_GROUP });
  }
  const repository = env.BERTH_K8S_REGISTRY?.trim();
  if (repository && (/[:@]/.test(repository.split('/').pop() ?? '') || !repository.includes('/'))) {
    throw new RuntimeError('BERTH_RUNTIME_BAD_REGISTRY', { repository });
  }
  const registrySecret = env.BERTH_K8S_REGISTRY_SECRET || undefined;
  const colocate = colocationFromEnv(env.BERTH_K8S_COLOCATE, inPod);
  // Last: a wrong setting above is named first, whichever way Berth was started.
  if (!inPod && env.BERTH_KUBERNETES_OUT_OF_CLUSTER !== '1') {
    throw new RuntimeError('BERTH_RUNTIME_OUT_OF_CLUSTER', { namespace, serviceAccountDir, serviceHostSet: Boolean(env.KUBERNETES_SERVICE_HOST) });
  }
  return {
    namespace,
    ...(env.BERTH_KUBECONFIG ? { kubeconfig: env.BERTH_KUBECONFIG } : {}),
    installationId,
    projectClaim: env.BERTH_K8S_PROJECTS_CLAIM || 'berth-projects',
    projectsMountPath: env.BERTH_K8S_PROJECTS_MOUNT || '/projects',
    dataClaim: env.BERTH_K8S_DATA_CLAIM || 'berth-data',
    fsGroup,
    ...(repository
      ? {
          build: {
            repository,
            ...(registrySecret ? { registrySecret } : {}),
            ...(env.BERTH_K8S_REGISTRY_INSECURE === '1' || env.BERTH_K8S_REGISTRY_INSECURE === 'true' ? { insecureRegistry: true } : {}),
            ...(env.BERTH_K8S_BUILDKIT_IMAGE ? { buildkitImage: env.BERTH_K8S_BUILDKIT_IMAGE } : {}),
          },
        }
      : {}),
    ...(registrySecret ? { imagePullSecrets: [registrySecret] } : {}),
    ...(graceMs === undefined ? {} : { graceMs }),
    ...(colocate ? { colocate } : {}),
  };
}

function colocationFromEnv(value: string | undefined, inPod: boolean): Colocation | undefined {
  // Outside a pod there is no Berth pod to be next to: a required affinity would never schedule.
  const on = value === undefined || value === '' ? inPod : value === 'on';
  if (value !== undefined && value !== '' && value !== 'on' && value !== 'off') {
    throw new RuntimeError('BERTH_RUNTIME_BAD_COLOCATE', { value });
  }
  return on ? { labels: { [BERTH_APP_LABEL]: BERTH_APP_VALUE }, topologyKey: 'kubernetes.io/hostname' } : undefined;
}
