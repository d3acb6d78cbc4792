/**
 * `--runtime kubernetes` settings from the environment, so the Deployment in deploy/kubernetes
 * configures Berth without a config file. The namespace defaults to the pod's own (the service
 * account's namespace file), as the Role only grants rights there.
 */
import { readFileSync } from 'node:fs';
import { RuntimeError } from '../errors.ts';
import type { KubernetesRuntimeOptions } from './runtime.ts';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * BERTH_K8S_NAMESPACE, BERTH_KUBECONFIG (else in-cluster), BERTH_K8S_PROJECTS_CLAIM (default
 * berth-projects), BERTH_K8S_PROJECTS_MOUNT (default /projects), BERTH_K8S_DATA_CLAIM (default
 * berth-data), BERTH_K8S_FS_GROUP (default 1000); environment builds: BERTH_K8S_REGISTRY (the
 * repository images are pushed to), BERTH_K8S_REGISTRY_SECRET (dockerconfigjson Secret, used to
 * push and by service pods to pull), BERTH_K8S_REGISTRY_INSECURE=1 (plain HTTP),
 * BERTH_K8S_BUILDKIT_IMAGE.
 */
export function kubernetesOptionsFromEnv(env: NodeJS.ProcessEnv, installationId: string, graceMs?: number): KubernetesRuntimeOptions {
  let namespace = env.BERTH_K8S_NAMESPACE;
  if (!namespace) {
    try {
      namespace = readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
    } catch {
      throw new RuntimeError('BERTH_RUNTIME_NO_NAMESPACE', 'the kubernetes runtime needs a namespace: BERTH_K8S_NAMESPACE is not set and Berth does not run in a pod', {
        hint: 'set BERTH_K8S_NAMESPACE=berth (and BERTH_KUBECONFIG when Berth runs outside the cluster)',
      });
    }
  }
  const fsGroup = env.BERTH_K8S_FS_GROUP === undefined ? 1000 : Number(env.BERTH_K8S_FS_GROUP);
  if (!Number.isInteger(fsGroup) || fsGroup < 0) {
    throw new RuntimeError('BERTH_RUNTIME_BAD_FS_GROUP', `BERTH_K8S_FS_GROUP is ${JSON.stringify(env.BERTH_K8S_FS_GROUP)}, not a group id`, { hint: 'set it to a number such as 1000' });
  }
  const repository = env.BERTH_K8S_REGISTRY?.trim();
  if (repository && (/[:@]/.test(repository.split('/').pop() ?? '') || !repository.includes('/'))) {
    throw new RuntimeError('BERTH_RUNTIME_BAD_REGISTRY', `BERTH_K8S_REGISTRY is ${JSON.stringify(repository)}: it must be a repository with its registry host and no tag, such as registry.example.com/team/berth-env`, {
      hint: 'drop the tag or digest (Berth tags each build itself) and include the registry host',
    });
  }
  const registrySecret = env.BERTH_K8S_REGISTRY_SECRET || undefined;
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
  };
}
