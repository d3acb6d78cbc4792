/**
 * The Kubernetes clients one runtime uses, and reading kube-apiserver's errors. Errors from the
 * typed client carry the HTTP code and the raw `Status` body; Berth's messages quote the
 * Status `message`, which is what `kubectl` would print.
 *
 * A real control plane answers 429 (priority and fairness, with Retry-After), 5xx during an
 * upgrade or an etcd leader change, and resets connections; none of that is an answer about
 * Berth's objects. Idempotent calls (read, list, delete) are therefore retried with bounded
 * exponential backoff by the clients themselves, so no caller treats a blip as a failure.
 * Creates are not retried: a create that reached etcd before the connection broke would 409.
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
    throw new RuntimeError('BERTH_RUNTIME_KUBECONFIG', { kubeconfig, loadError: (cause as Error).message }, { cause });
  }
  if (!config.getCurrentCluster()) {
    throw new RuntimeError('BERTH_RUNTIME_KUBECONFIG', { kubeconfig });
  }
  return config;
}

export interface RetryPolicy {
  /** Calls in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** 5 calls over about 3 s (0.2, 0.4, 0.8, 1.6 s apart), or as long as Retry-After asks, capped. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 5_000 };
const RETRY_AFTER_CAP_MS = 30_000;
const TRANSIENT_CODES = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const IDEMPOTENT = /^(read|list|delete)/;

function networkCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** How long to wait before calling again, or undefined when the error is an answer (not transient). */
export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number | undefined {
  const status = kubeStatus(error);
  const transient = status ? TRANSIENT_CODES.has(status.code) : TRANSIENT_NETWORK.has(networkCode(error) ?? '') || /socket hang up/.test((error as Error)?.message ?? '');
  if (!transient) return undefined;
  const headers = (error as { headers?: Record<string, string> }).headers;
  const retryAfter = Number(headers?.['retry-after'] ?? headers?.['Retry-After']);
  if (status?.code === 429 && Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS);
  return Math.min(policy.baseMs * 2 ** attempt, policy.maxMs);
}

/** Calls `call` until it succeeds, fails with an answer, or the attempts run out (the last error is thrown). */
export async function withRetry<T>(call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const delay = attempt + 1 < policy.attempts ? retryDelay(error, attempt, policy) : undefined;
      if (delay === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The same API object, its read/list/delete methods retried on transient errors. */
function retrying<T extends object>(api: T, policy: RetryPolicy): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !IDEMPOTENT.test(property)) return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return function retried(...args: unknown[]) {
        return withRetry(() => method.apply(target, args), policy);
      };
    },
  });
}

export function createKubernetesClients(config: KubeConfig, policy: RetryPolicy = DEFAULT_RETRY): KubernetesClients {
  return {
    config,
    apps: retrying(config.makeApiClient(AppsV1Api), policy),
    core: retrying(config.makeApiClient(CoreV1Api), policy),
    networking: retrying(config.makeApiClient(NetworkingV1Api), policy),
    batch: retrying(config.makeApiClient(BatchV1Api), policy),
  };
}

/**
 * 403 from RBAC says "cannot <verb> resource"; every other 403 is an admission plugin refusing
 * the object (ResourceQuota, LimitRange, PodSecurity, a webhook), which no Role fixes.
 */
export function isAdmissionRefusal(status: KubeStatus | undefined): boolean {
  return status?.code === 403 && !/cannot [a-z]+ resource/.test(status.message);
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

/**
 * Wraps an API failure with what Berth was doing and the cluster's words; the code says whose the
 * refusal is (no answer, RBAC, an admission check, anything else), and its hint how to fix it.
 */
export function apiError(what: string, namespace: string, error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const status = kubeStatus(error);
  if (!status) {
    return new RuntimeError('BERTH_RUNTIME_UNREACHABLE', { namespace, action: what, reason: (error as Error)?.message ?? String(error) }, { cause: error });
  }
  const code = isAdmissionRefusal(status) ? 'BERTH_RUNTIME_ADMISSION_REFUSED' : status.code === 403 ? 'BERTH_RUNTIME_FORBIDDEN' : 'BERTH_RUNTIME_API_ERROR';
  return new RuntimeError(code, { namespace, action: what, status }, { cause: error });
}
