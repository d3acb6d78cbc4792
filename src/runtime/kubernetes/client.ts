/**
 * The Kubernetes clients one runtime uses, and reading kube-apiserver's errors. Errors from the
 * typed client carry the HTTP code and the raw `Status` body; Berth's messages quote the
 * Status `message`, which is what `kubectl` would print.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';

export interface KubernetesClients {
  config: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  batch: BatchV1Api;
}

/** From a kubeconfig file, else the pod's service account (Berth running in the cluster). */
export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const config = new KubeConfig();
  try {
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else config.loadFromCluster();
  } catch (cause) {
    throw new RuntimeError(
      'BERTH_RUNTIME_KUBECONFIG',
      kubeconfig ? `cannot read the kubeconfig ${kubeconfig}: ${(cause as Error).message}` : `cannot load the in-cluster configuration: ${(cause as Error).message}`,
      { cause, hint: kubeconfig ? 'pass a readable kubeconfig file with --kubeconfig or BERTH_KUBECONFIG' : 'run Berth in a pod with a service account, or pass --kubeconfig' },
    );
  }
  if (!config.getCurrentCluster()) {
    throw new RuntimeError('BERTH_RUNTIME_KUBECONFIG', `the kubeconfig ${kubeconfig ?? '(in-cluster)'} has no current cluster`, {
      hint: 'set current-context in the kubeconfig (kubectl config use-context NAME)',
    });
  }
  return config;
}

export function createKubernetesClients(config: KubeConfig): KubernetesClients {
  return {
    config,
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    batch: config.makeApiClient(BatchV1Api),
  };
}

export interface KubeStatus {
  code: number;
  reason?: string;
  message: string;
}

/** HTTP code, reason and message of a failed API call, or undefined for non-API errors. */
export function kubeStatus(error: unknown): KubeStatus | undefined {
  if (!error || typeof error !== 'object' || typeof (error as { code?: unknown }).code !== 'number') return undefined;
  const code = (error as { code: number }).code;
  if (code < 100 || code > 599) return undefined;
  const raw = (error as { body?: unknown }).body;
  let body = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return { code, message: raw || `HTTP ${code}` };
    }
  }
  const status = (body ?? {}) as { reason?: string; message?: string };
  return { code, ...(status.reason ? { reason: status.reason } : {}), message: status.message ?? `HTTP ${code}` };
}

/** Swallows API errors with the given codes (404 = already gone, 409 = already exists). */
export function ignoreCodes(...codes: number[]): (error: unknown) => undefined {
  return (error: unknown) => {
    const status = kubeStatus(error);
    if (status && codes.includes(status.code)) return undefined;
    throw error;
  };
}

/** Wraps an API failure with what Berth was doing, the cluster's words and how to fix it. */
export function apiError(what: string, namespace: string, error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const status = kubeStatus(error);
  const said = status ? `${status.message} (HTTP ${status.code}${status.reason ? `, ${status.reason}` : ''})` : (error as Error)?.message ?? String(error);
  let hint = 'check that the cluster is reachable (kubectl cluster-info) and retry';
  if (status?.code === 401) hint = 'the credentials in the kubeconfig (or the service account token) were refused; renew them';
  if (status?.code === 403) hint = `grant Berth's service account the verbs in deploy/kubernetes/role.yaml in namespace ${namespace}`;
  if (status?.code === 404 && status.reason === 'NotFound' && /namespaces?/.test(status.message)) hint = `create the namespace ${namespace} (kubectl apply -k deploy/kubernetes)`;
  if (status?.code === 422) hint = 'the cluster rejected the object; fix the service in the pipeline file (image, command, resources)';
  const code = status?.code === 403 ? 'BERTH_RUNTIME_FORBIDDEN' : status ? 'BERTH_RUNTIME_API_ERROR' : 'BERTH_RUNTIME_UNREACHABLE';
  return new RuntimeError(code, `kubernetes, namespace ${namespace}: cannot ${what}: ${said}`, { cause: error, hint });
}
