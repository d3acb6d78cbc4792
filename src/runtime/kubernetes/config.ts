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
 * berth-data), BERTH_K8S_FS_GROUP (default 1000).
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
  return {
    namespace,
    ...(env.BERTH_KUBECONFIG ? { kubeconfig: env.BERTH_KUBECONFIG } : {}),
    installationId,
    projectClaim: env.BERTH_K8S_PROJECTS_CLAIM || 'berth-projects',
    projectsMountPath: env.BERTH_K8S_PROJECTS_MOUNT || '/projects',
    dataClaim: env.BERTH_K8S_DATA_CLAIM || 'berth-data',
    fsGroup,
    ...(graceMs === undefined ? {} : { graceMs }),
  };
}
