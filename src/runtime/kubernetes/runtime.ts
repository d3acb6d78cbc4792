/**
 * The kubernetes runtime: one Deployment (1 replica) + one ClusterIP Service per service, named
 * `<name>-<session_uuid>` as in Orchest, plus a NetworkPolicy per session. The proxy reaches a
 * service at `<hostname>.<namespace>.svc:<port>` (Berth runs in the cluster; no Ingress per
 * service). State comes from one watch of the installation's pods; logs are followed into the
 * log file across container restarts.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { appendStartMarker } from '../log-cursor.ts';
import { type RuntimeKind, type ServicePlan, LABELS } from '../../plan/index.ts';
import type { Endpoint, ExecResult, Runtime, RuntimeObject, RuntimeReadiness, RuntimeRef, RuntimeState, StartOptions } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import { apiError, createKubernetesClients, ignoreCodes, kubeStatus, loadKubeConfig, type KubernetesClients } from './client.ts';
import { createBuildJobImageBuilder, type BuildSettings } from './build-job.ts';
import { execInPod } from './exec.ts';
import { runTaskPod } from './task.ts';
import { taskFileContents } from '../task-files.ts';
import { hasLabels, labelSelector, originalLabels, sanitizeLabelValue, sanitizeLabels, selectorLabels } from './labels.ts';
import { followServiceLogs, type LogFollower } from './logs.ts';
import { DEFAULT_GRACE_MS, deploymentManifest, networkPolicyManifest, networkPolicyName, readinessProbe, secretManifest, serviceManifest, type ManifestOptions } from './manifests.ts';
import { containerStatus, currentPod, deploymentState, podReadiness } from './pod-status.ts';
import { createPodWatch, type PodWatch } from './pod-watch.ts';

/** What the manifests need (namespace, claims, group, grace, pull secrets) plus how to reach the cluster. */
export interface KubernetesRuntimeOptions extends ManifestOptions {
  /** Path of a kubeconfig file; without it the in-cluster service account is used. */
  kubeconfig?: string;
  /** How long stop/cleanup wait for objects to disappear beyond the grace period (default 60 s). */
  deleteTimeoutMs?: number;
  /** Environment builds: where they push (without it, builds fail with BERTH_RUNTIME_NO_REGISTRY). */
  build?: BuildSettings;
  /** Tests: build the clients another way (the default loads `kubeconfig` or the in-cluster config). */
  clientFactory?: () => KubernetesClients;
}

const KIND: RuntimeKind = 'kubernetes';
const POLL_MS = 250;

export function createKubernetesRuntime(options: KubernetesRuntimeOptions): Runtime {
  const { namespace, installationId } = options;
  const clients = options.clientFactory ? options.clientFactory() : createKubernetesClients(loadKubeConfig(options.kubeconfig));
  const { kubeconfig: _kubeconfig, deleteTimeoutMs: _deleteTimeout, build: _build, clientFactory: _clientFactory, ...manifestFields } = options;
  const manifestOptions: ManifestOptions = { ...manifestFields, graceMs: options.graceMs ?? DEFAULT_GRACE_MS };
  const defaultGraceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const deleteTimeoutMs = options.deleteTimeoutMs ?? 60_000;
  const installationSelector = labelSelector({ [LABELS.installation]: installationId });
  const watch: PodWatch = createPodWatch(clients, namespace, installationSelector);
  const followers = new Map<string, LogFollower>();
  /** Stopped by this process: the watch may still show their pods for a moment, so inspect asks the API. */
  const stopped = new Set<string>();
  /** The pod each service was last seen Ready in: a successor that runs but is not Ready yet is a replacement still starting. */
  const readyPods = new Map<string, string>();

  /**
   * A replacement pod (eviction, drain) whose container already runs but whose readinessProbe has
   * not passed is not the service running: the Service routes nothing to it yet. Said as a
   * non-fatal wait, so the session manager shows the service starting until the pod is Ready.
   */
  function withReplacement(ref: RuntimeRef, pods: V1Pod[], state: RuntimeState): RuntimeState {
    const pod = currentPod(pods);
    const name = pod?.metadata?.name;
    if (!name || state.state !== 'running') return state;
    if (containerStatus(pod, ref.service)?.ready) {
      readyPods.set(ref.id, name);
      return state;
    }
    const previous = readyPods.get(ref.id);
    if (!previous || previous === name) return state;
    return { state: 'waiting', reason: `pod ${previous} replaced by Kubernetes; pod ${name} runs, its readinessProbe has not passed yet`, fatal: false };
  }

  function selectorOf(ref: RuntimeRef): Record<string, string> {
    return selectorLabels(installationId, ref.sessionUuid, ref.service);
  }

  async function podsOf(selector: Record<string, string>): Promise<V1Pod[]> {
    if (watch.synced) return watch.pods(selector);
    // After a Berth restart nothing has started the watch yet; start it and ask the API this once.
    void watch.start().catch(() => undefined);
    const list = await clients.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) });
    return list.items;
  }

  async function readDeployment(name: string): Promise<V1Deployment | undefined> {
    try {
      return await clients.apps.readNamespacedDeployment({ name, namespace });
    } catch (error) {
      if (kubeStatus(error)?.code === 404) return undefined;
      throw apiError(`read deployment ${name}`, namespace, error);
    }
  }

  function ownsObject(metadata: { labels?: Record<string, string> } | undefined): boolean {
    return metadata?.labels?.[LABELS.installation] === sanitizeLabelValue(installationId);
  }

  function follow(ref: RuntimeRef, logFile: string): void {
    followers.get(ref.id)?.stop();
    followers.set(ref.id, followServiceLogs({ clients, namespace, container: ref.service, service: ref.service, selector: selectorOf(ref), logFile, watch }));
  }

  /** Polls until `gone()` says so; deletions are asynchronous in Kubernetes (finalizers, graceful pod termination). */
  async function waitUntil(what: string, gone: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await gone()) return;
      if (Date.now() >= deadline) {
        throw new RuntimeError('BERTH_RUNTIME_DELETE_TIMEOUT', { namespace, object: what, timeoutMs, selector: installationSelector });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Deletes a service's Deployment, Service and pods and waits until they are gone. */
  async function deleteService(name: string, selector: Record<string, string>, graceMs: number): Promise<void> {
    const gracePeriodSeconds = Math.max(0, Math.ceil(graceMs / 1000));
    try {
      await clients.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground', gracePeriodSeconds }).catch(ignoreCodes(404));
      await clients.core.deleteNamespacedService({ name, namespace }).catch(ignoreCodes(404));
      await clients.core.deleteNamespacedSecret({ name, namespace }).catch(ignoreCodes(404));
      // The pods get the stop's grace period rather than the one in their spec.
      const pods = await clients.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) });
      await Promise.all(
        pods.items.map((pod) => clients.core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace, gracePeriodSeconds }).catch(ignoreCodes(404))),
      );
    } catch (error) {
      throw apiError(`delete service ${name}`, namespace, error);
    }
    await waitUntil(
      `service ${name}`,
      async () => {
        const deployment = await readDeployment(name);
        if (deployment) return false;
        const left = await clients.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) });
        return left.items.length === 0;
      },
      graceMs + deleteTimeoutMs,
    );
  }

  function startError(plan: ServicePlan, what: string, error: unknown): RuntimeError {
    const status = kubeStatus(error);
    if (!status || status.code === 403 || status.code === 401) return apiError(`${what} for service ${plan.name}`, namespace, error);
    return new RuntimeError('BERTH_RUNTIME_START_FAILED', { by: 'cluster', service: plan.name, object: what, namespace, reason: status.message }, { cause: error });
  }

  return {
    kind: KIND,

    async prepareSession(sessionUuid: string, labels: Record<string, string>): Promise<void> {
      const body = networkPolicyManifest(sessionUuid, labels, manifestOptions);
      try {
        await clients.networking.createNamespacedNetworkPolicy({ namespace, body }).catch(ignoreCodes(409));
      } catch (error) {
        throw apiError(`create the network policy ${networkPolicyName(sessionUuid)}`, namespace, error);
      }
    },

    async cleanupSession(sessionUuid: string): Promise<void> {
      const session = { [LABELS.installation]: installationId, [LABELS.session]: sessionUuid };
      const selector = labelSelector(session);
      try {
        await clients.networking.deleteNamespacedNetworkPolicy({ name: networkPolicyName(sessionUuid), namespace }).catch(ignoreCodes(404));
        const [deployments, services, secrets] = await Promise.all([
          clients.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
          clients.core.listNamespacedService({ namespace, labelSelector: selector }),
          clients.core.listNamespacedSecret({ namespace, labelSelector: selector }),
        ]);
        await Promise.all([
          ...deployments.items.map((d) => clients.apps.deleteNamespacedDeployment({ name: d.metadata?.name ?? '', namespace, propagationPolicy: 'Foreground' }).catch(ignoreCodes(404))),
          ...services.items.map((s) => clients.core.deleteNamespacedService({ name: s.metadata?.name ?? '', namespace }).catch(ignoreCodes(404))),
          ...secrets.items.map((s) => clients.core.deleteNamespacedSecret({ name: s.metadata?.name ?? '', namespace }).catch(ignoreCodes(404))),
        ]);
        const pods = await clients.core.listNamespacedPod({ namespace, labelSelector: selector });
        await Promise.all(pods.items.map((p) => clients.core.deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace }).catch(ignoreCodes(404))));
      } catch (error) {
        throw apiError(`clean up session ${sessionUuid}`, namespace, error);
      }
      await waitUntil(
        `an object of session ${sessionUuid}`,
        async () => {
          const [deployments, services, pods] = await Promise.all([
            clients.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
            clients.core.listNamespacedService({ namespace, labelSelector: selector }),
            clients.core.listNamespacedPod({ namespace, labelSelector: selector }),
          ]);
          return deployments.items.length + services.items.length + pods.items.length === 0;
        },
        defaultGraceMs + deleteTimeoutMs,
      );
    },

    async start(plan: ServicePlan, startOptions: StartOptions): Promise<RuntimeRef> {
      const deployment = deploymentManifest(plan, manifestOptions);
      const service = serviceManifest(plan, manifestOptions);
      const secret = secretManifest(plan, manifestOptions);
      const name = deployment.metadata?.name ?? plan.hostname;
      const ref: RuntimeRef = { runtime: KIND, id: name, sessionUuid: plan.sessionUuid, service: plan.name };
      const existing = await readDeployment(name);
      if (existing) {
        if (!ownsObject(existing.metadata)) {
          throw new RuntimeError('BERTH_RUNTIME_NAME_CONFLICT', { kind: 'deployment', name, namespace });
        }
        // A leftover of this installation (interrupted stop, changed spec): replace it.
        await deleteService(name, selectorOf(ref), 0);
      }
      // Start the watch first, so the pod's first events (e.g. ErrImagePull) are not missed. A refused
      // watch is said in the start's progress; inspect then lists pods from the API.
      await watch.start().catch((error: unknown) => startOptions.onProgress?.((error as Error).message));
      startOptions.onProgress?.(`creating deployment ${name} in namespace ${namespace}`);
      if (secret) {
        try {
          await clients.core.createNamespacedSecret({ namespace, body: secret }).catch(async (error: unknown) => {
            if (kubeStatus(error)?.code !== 409) throw error;
            await clients.core.deleteNamespacedSecret({ name, namespace }).catch(ignoreCodes(404));
            await clients.core.createNamespacedSecret({ namespace, body: secret });
          });
        } catch (error) {
          throw startError(plan, 'secret (its inherited environment variables)', error);
        }
      }
      try {
        await clients.apps.createNamespacedDeployment({ namespace, body: deployment });
      } catch (error) {
        if (secret) await clients.core.deleteNamespacedSecret({ name, namespace }).catch(() => undefined);
        throw startError(plan, 'deployment', error);
      }
      if (service) {
        try {
          await clients.core.createNamespacedService({ namespace, body: service }).catch(async (error: unknown) => {
            if (kubeStatus(error)?.code !== 409) throw error;
            await clients.core.deleteNamespacedService({ name, namespace }).catch(ignoreCodes(404));
            await clients.core.createNamespacedService({ namespace, body: service });
          });
        } catch (error) {
          await clients.apps.deleteNamespacedDeployment({ name, namespace }).catch(() => undefined);
          if (secret) await clients.core.deleteNamespacedSecret({ name, namespace }).catch(() => undefined);
          throw startError(plan, 'service', error);
        }
      }
      stopped.delete(name);
      readyPods.delete(name);
      appendStartMarker(startOptions.logFile, plan.name);
      follow(ref, startOptions.logFile);
      return ref;
    },

    async stop(ref: RuntimeRef, stopOptions?: { graceMs?: number }): Promise<void> {
      const graceMs = stopOptions?.graceMs ?? defaultGraceMs;
      stopped.add(ref.id);
      readyPods.delete(ref.id);
      const existing = await readDeployment(ref.id);
      if (existing && !ownsObject(existing.metadata)) return; // never touch another installation's objects
      await deleteService(ref.id, selectorOf(ref), graceMs);
      const follower = followers.get(ref.id);
      if (follower) {
        await Promise.race([follower.idle(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
        follower.stop();
        followers.delete(ref.id);
      }
    },

    async list(labels: Record<string, string>): Promise<RuntimeObject[]> {
      const wanted = { ...labels, [LABELS.installation]: installationId };
      let deployments: V1Deployment[];
      let pods: V1Pod[];
      try {
        deployments = (await clients.apps.listNamespacedDeployment({ namespace, labelSelector: labelSelector(wanted) })).items;
        pods = await podsOf(sanitizeLabels({ [LABELS.installation]: installationId }));
      } catch (error) {
        throw apiError('list deployments', namespace, error);
      }
      return deployments.flatMap((deployment): RuntimeObject[] => {
        const exact = originalLabels(deployment.metadata);
        // Selectors compare sanitised (possibly shortened) values; the exact labels decide.
        if (!hasLabels(exact, wanted)) return [];
        const sessionUuid = exact[LABELS.session] ?? '';
        const service = exact[LABELS.service] ?? '';
        const selector = selectorLabels(installationId, sessionUuid, service);
        const own = pods.filter((pod) => hasLabels(pod.metadata?.labels ?? {}, selector));
        return [{ ref: { runtime: KIND, id: deployment.metadata?.name ?? '', sessionUuid, service }, labels: exact, state: deploymentState(deployment, own, service) }];
      });
    },

    async inspect(ref: RuntimeRef): Promise<RuntimeState> {
      // Readiness asks every interval: while the watch shows a live pod, the API is not asked at all.
      if (watch.synced && !stopped.has(ref.id)) {
        const live = watch.pods(selectorOf(ref)).filter((pod) => !pod.metadata?.deletionTimestamp);
        if (live.length) return withReplacement(ref, live, deploymentState({}, live, ref.service));
      }
      const deployment = await readDeployment(ref.id);
      if (!deployment || !ownsObject(deployment.metadata)) return { state: 'missing' };
      try {
        const pods = await podsOf(selectorOf(ref));
        return withReplacement(ref, pods, deploymentState(deployment, pods, ref.service));
      } catch (error) {
        throw apiError(`list the pods of ${ref.id}`, namespace, error);
      }
    },

    async readiness(ref: RuntimeRef, plan: ServicePlan): Promise<RuntimeReadiness | undefined> {
      // The kubelet probes the container from its node; Berth reading that verdict needs no route
      // into the cluster. A probe covers one port, so several ports stay Berth's own check.
      if (!readinessProbe(plan.readiness) || (plan.readiness.type === 'port' && plan.readiness.ports.length !== 1)) return undefined;
      const selector = selectorOf(ref);
      const pods = watch.synced && !stopped.has(ref.id) ? watch.pods(selector) : await podsOf(selector);
      return podReadiness(currentPod(pods.filter((pod) => !pod.metadata?.deletionTimestamp)), ref.service);
    },

    async endpoint(ref: RuntimeRef, port: number): Promise<Endpoint> {
      // The Service has the Deployment's name; cluster DNS resolves it from Berth's pod.
      return { host: `${ref.id}.${namespace}.svc`, port };
    },

    internalHostname(plan: ServicePlan): string {
      return plan.hostname;
    },

    async exec(ref: RuntimeRef, argv: string[], execOptions?: { timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult> {
      const pod = currentPod(await podsOf(selectorOf(ref)));
      const podName = pod?.metadata?.name;
      if (!podName) {
        throw new RuntimeError('BERTH_RUNTIME_NOT_RUNNING', { service: ref.service, deployment: ref.id, namespace, argv });
      }
      return execInPod(clients, { namespace, pod: podName, container: ref.service, service: ref.service }, argv, execOptions);
    },

    async reattachLogs(ref: RuntimeRef, logFile: string): Promise<void> {
      if (followers.has(ref.id)) return;
      await watch.start().catch(() => undefined);
      follow(ref, logFile);
    },

    async runTask(task, taskOptions) {
      // A pod cannot mount Berth's host: its own files travel in the task's ConfigMap.
      const files = await taskFileContents(task);
      return runTaskPod(clients, { ...task, files, hostFiles: [] }, manifestOptions, taskOptions);
    },

    imageBuilder() {
      if (!options.build) {
        throw new RuntimeError('BERTH_RUNTIME_NO_REGISTRY');
      }
      return createBuildJobImageBuilder(clients, { ...manifestOptions, build: options.build });
    },

    async close(): Promise<void> {
      for (const follower of followers.values()) follower.stop();
      followers.clear();
      watch.close();
    },
  };
}
