/**
 * Tasks (job steps) on Kubernetes: one Pod per task, `restartPolicy: Never`, in the session's
 * namespace with the session's label (so the session's NetworkPolicy lets it reach the services),
 * the project and data directories as subPaths of the claims, and its small files (the Python SDK,
 * the session's services) from a ConfigMap of its own. The pod's log goes to the task's log file;
 * pod and ConfigMap are deleted when it ends, fails to start or is cancelled.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../plan/index.ts';
import { toBerthError } from '../../shared/index.ts';
import { RuntimeError } from '../errors.ts';
import type { TaskOptions, TaskResult, TaskSpec } from '../types.ts';
import { apiError, ignoreCodes, type KubernetesClients } from './client.ts';
import { labelSelector } from './labels.ts';
import { checkEnvName, colocationFor, mountsFor, objectMetadata, podBasics, type ManifestOptions } from './manifests.ts';
import { followPodToEnd } from './pod-run.ts';

export const TASK_LABEL = 'berth.task';
const CONTAINER = 'step';
const FILES_VOLUME = 'task-files';

function taskMetadata(task: TaskSpec, options: ManifestOptions) {
  return objectMetadata(task.name, { ...task.labels, [LABELS.session]: task.sessionUuid }, options, { [TASK_LABEL]: task.name });
}

/** ConfigMap keys allow `[-._a-zA-Z0-9]`; paths become `f0`, `f1`, … and are mounted by subPath. */
export function taskConfigMapManifest(task: TaskSpec, options: ManifestOptions): V1ConfigMap | undefined {
  if (task.files.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: taskMetadata(task, options),
    data: Object.fromEntries(task.files.map((file, index) => [`f${index}`, file.content])),
  };
}

export function taskPodManifest(task: TaskSpec, options: ManifestOptions): V1Pod {
  // Job and project variables reach steps too; a name the API server refuses fails before any object exists.
  for (const name of Object.keys(task.env)) checkEnvName(name, `step pod ${task.name}: the environment variable ${name} (a job, pipeline or project variable)`);
  const projectUuid = task.labels[LABELS.project] ?? '';
  const { volumes, volumeMounts } = mountsFor(task.mounts, projectUuid, `task ${task.name}`, options);
  if (task.files.length) {
    volumes.push({ name: FILES_VOLUME, configMap: { name: task.name } });
    task.files.forEach((file, index) => volumeMounts.push({ name: FILES_VOLUME, mountPath: file.path, subPath: `f${index}`, readOnly: true }));
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: taskMetadata(task, options),
    spec: {
      ...podBasics(options),
      // A failed step is the answer, not something to retry.
      restartPolicy: 'Never',
      containers: [
        {
          name: CONTAINER,
          image: task.image,
          imagePullPolicy: 'IfNotPresent',
          command: task.argv,
          workingDir: task.workingDir,
          env: Object.entries(task.env).map(([name, value]) => ({ name, value })),
          ...(volumeMounts.length ? { volumeMounts } : {}),
        },
      ],
      ...(volumes.length ? { volumes } : {}),
      ...colocationFor(volumes, options),
    },
  };
}

/** Runs the task's pod to its end; see the module comment. */
export async function runTaskPod(clients: KubernetesClients, task: TaskSpec, options: ManifestOptions, run: TaskOptions): Promise<TaskResult> {
  const { namespace } = options;
  const where = `step pod ${task.name} (namespace ${namespace})`;
  let pod: V1Pod;
  try {
    pod = taskPodManifest(task, options); // checks the mounts are on the claims before anything is created
  } catch (error) {
    const berthError = toBerthError(error);
    return { exitCode: null, reason: berthError.hint ? `${berthError.message} (${berthError.hint})` : berthError.message };
  }
  const configMap = taskConfigMapManifest(task, options);
  await mkdir(dirname(run.logFile), { recursive: true });
  const log = createWriteStream(run.logFile, { flags: 'a' });
  const graceSeconds = Math.max(0, Math.ceil((run.graceMs ?? 5000) / 1000));
  const deletePod = (gracePeriodSeconds: number) => clients.core.deleteNamespacedPod({ name: task.name, namespace, gracePeriodSeconds }).catch(ignoreCodes(404));
  try {
    try {
      // A leftover of an earlier attempt (same run and step) is ours to replace.
      await deletePod(0);
      await clients.core.deleteNamespacedConfigMap({ name: task.name, namespace }).catch(ignoreCodes(404));
      if (configMap) await clients.core.createNamespacedConfigMap({ namespace, body: configMap });
      await clients.core.createNamespacedPod({ namespace, body: pod });
    } catch (error) {
      throw apiError(`create the ${where}`, namespace, error);
    }
    const ended = await followPodToEnd(clients, {
      namespace,
      selector: labelSelector({ [TASK_LABEL]: task.name }),
      container: CONTAINER,
      where,
      onChunk: (chunk) => log.write(chunk),
      signal: run.signal,
      onAbort: () => deletePod(graceSeconds).then(() => undefined),
    });
    if (ended.exitCode === null) return { exitCode: null, reason: `${where} ended without an exit code${ended.reason ? `: ${ended.reason}` : ''}` };
    return { exitCode: ended.exitCode, ...(ended.reason && ended.reason !== 'Completed' && ended.reason !== 'Error' ? { reason: ended.reason } : {}) };
  } catch (error) {
    if (error instanceof RuntimeError && error.code === 'BERTH_RUNTIME_POD_CANCELLED') return { exitCode: null, reason: 'cancelled' };
    if (error instanceof RuntimeError) return { exitCode: null, reason: error.message };
    return { exitCode: null, reason: apiError(`follow the ${where}`, namespace, error).message };
  } finally {
    log.end();
    await once(log, 'close').catch(() => undefined);
    // Always: a finished, failed or cancelled step leaves nothing behind.
    await deletePod(0).catch(() => undefined);
    if (configMap) await clients.core.deleteNamespacedConfigMap({ name: task.name, namespace }).catch(() => undefined);
  }
}
