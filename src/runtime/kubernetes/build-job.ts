/**
 * Environment builds on Kubernetes: a Job runs rootless BuildKit (`buildctl-daemonless.sh`, no
 * privileged pod, no Docker socket) on a build context made of the project (from the projects
 * PVC, read-only) and a ConfigMap with the generated Dockerfile, the setup script and a
 * .dockerignore; the image is pushed to the registry in Berth's configuration. BuildKit writes the
 * build's metadata (with `containerimage.digest`) to the termination log, so the digest comes from
 * the pod status, not from parsing log text; sessions then pin `<registry>/<repo>@sha256:…`.
 * The caller (src/environments) produces the Dockerfile; this module only runs it.
 */
import type { V1ConfigMap, V1Job, V1Volume } from '@kubernetes/client-node';
import { RuntimeError } from '../errors.ts';
import type { ImageBuilder } from '../types.ts';
import { apiError, ignoreCodes, type KubernetesClients } from './client.ts';
import { labelSelector, MANAGED_BY_LABEL, sanitizeLabelValue } from './labels.ts';
import type { Colocation } from './config.ts';
import { colocationFor, projectSubPathFor } from './manifests.ts';
import { followPodToEnd } from './pod-run.ts';

/** Pinned: `rootless` alone would move under the cluster's feet. */
export const DEFAULT_BUILDKIT_IMAGE = 'moby/buildkit:v0.23.2-rootless';
export const BUILD_LABEL = 'berth.build';
const CONTEXT_DIR = '/workspace';
const CONFIG_DIR = `${CONTEXT_DIR}/.berth-build`;

export interface BuildJobInput {
  namespace: string;
  installationId: string;
  projectUuid: string;
  environmentUuid: string;
  /** Build number of the environment (1, 2, …), part of the tag and the object names. */
  build: number;
  /** The Dockerfile src/environments generates (FROM base, COPY project/, RUN the setup script). */
  dockerfile: string;
  setupScript: string;
  /** `registry.example.com/team/berth-env` (no tag): where the image is pushed. */
  repository: string;
  /** PVC with the projects and the project's subPath in it. */
  projectClaim: string;
  projectSubPath: string;
  /** Secret of type kubernetes.io/dockerconfigjson with push credentials for the registry. */
  registrySecret?: string;
  /** Plain-HTTP registry (a registry inside the cluster without TLS). */
  insecureRegistry?: boolean;
  buildkitImage?: string;
  /** activeDeadlineSeconds of the Job, in ms (default 1 h). */
  timeoutMs?: number;
  /** The build's pod runs on Berth's node: it mounts the projects claim (ReadWriteOnce by default). */
  colocate?: Colocation;
}

export function buildJobName(input: Pick<BuildJobInput, 'environmentUuid' | 'build' | 'projectUuid'>): string {
  return `berth-build-${input.projectUuid.slice(0, 8)}-${input.environmentUuid.slice(0, 8)}-${input.build}`;
}

export function imageTag(input: Pick<BuildJobInput, 'repository' | 'projectUuid' | 'environmentUuid' | 'build'>): string {
  return `${input.repository}:${input.projectUuid.slice(0, 8)}-${input.environmentUuid}-${input.build}`;
}

function buildLabels(input: BuildJobInput): Record<string, string> {
  return {
    'berth.installation': sanitizeLabelValue(input.installationId),
    'berth.project': sanitizeLabelValue(input.projectUuid),
    'berth.environment': sanitizeLabelValue(input.environmentUuid),
    [BUILD_LABEL]: buildJobName(input),
    [MANAGED_BY_LABEL]: 'berth',
  };
}

export function buildConfigMapManifest(input: BuildJobInput): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: buildJobName(input), namespace: input.namespace, labels: buildLabels(input) },
    data: {
      Dockerfile: input.dockerfile,
      'setup_script.sh': input.setupScript,
      // Same exclusions as the engine build's context (src/environments/context.ts): no VCS, no Berth state.
      '.dockerignore': 'project/.git\nproject/.orchest\n',
    },
  };
}

export function buildJobManifest(input: BuildJobInput): V1Job {
  const name = buildJobName(input);
  const labels = buildLabels(input);
  const volumes: V1Volume[] = [
    { name: 'workspace', emptyDir: {} },
    { name: 'project', persistentVolumeClaim: { claimName: input.projectClaim, readOnly: true } },
    { name: 'build-files', configMap: { name, items: [{ key: 'Dockerfile', path: 'Dockerfile' }, { key: 'setup_script.sh', path: 'setup_script.sh' }, { key: '.dockerignore', path: '.dockerignore' }] } },
    { name: 'buildkitd', emptyDir: {} },
    ...(input.registrySecret ? [{ name: 'registry-auth', secret: { secretName: input.registrySecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }] : []),
  ];
  const output = [`type=image`, `name=${imageTag(input)}`, 'push=true', ...(input.insecureRegistry ? ['registry.insecure=true'] : [])].join(',');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: input.namespace, labels },
    spec: {
      // A failed setup script fails again: one attempt, its log is the answer.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil((input.timeoutMs ?? 3_600_000) / 1000),
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: {
          labels,
          // BuildKit's rootless mode needs user namespaces, which the default seccomp/AppArmor profiles block.
          annotations: { 'container.apparmor.security.beta.kubernetes.io/buildkit': 'unconfined' },
        },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'Unconfined' } },
          containers: [
            {
              name: 'buildkit',
              image: input.buildkitImage ?? DEFAULT_BUILDKIT_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['buildctl-daemonless.sh'],
              args: [
                'build',
                '--frontend',
                'dockerfile.v0',
                '--local',
                `context=${CONTEXT_DIR}`,
                '--local',
                `dockerfile=${CONFIG_DIR}`,
                '--output',
                output,
                // The metadata JSON (containerimage.digest) lands in the pod status as the termination message.
                '--metadata-file',
                '/dev/termination-log',
                '--progress',
                'plain',
              ],
              env: [{ name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' }],
              terminationMessagePolicy: 'File',
              securityContext: { seccompProfile: { type: 'Unconfined' }, runAsUser: 1000, runAsGroup: 1000 },
              volumeMounts: [
                { name: 'workspace', mountPath: CONTEXT_DIR },
                { name: 'project', mountPath: `${CONTEXT_DIR}/project`, subPath: input.projectSubPath, readOnly: true },
                { name: 'build-files', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'build-files', mountPath: `${CONTEXT_DIR}/.dockerignore`, subPath: '.dockerignore', readOnly: true },
                { name: 'buildkitd', mountPath: '/home/user/.local/share/buildkit' },
                ...(input.registrySecret ? [{ name: 'registry-auth', mountPath: '/home/user/.docker', readOnly: true }] : []),
              ],
            },
          ],
          volumes,
          ...colocationFor(volumes, input),
        },
      },
    },
  };
}

/** `containerimage.digest` from BuildKit's metadata JSON, else the last `@sha256:` in the log. */
export function digestFrom(terminationMessage: string | undefined, logLines: string[]): string | undefined {
  if (terminationMessage) {
    try {
      const digest = (JSON.parse(terminationMessage) as Record<string, unknown>)['containerimage.digest'];
      if (typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
    } catch {
      // not JSON (a crash message): fall through to the log
    }
  }
  for (const line of [...logLines].reverse()) {
    const match = /@(sha256:[0-9a-f]{64})/.exec(line);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

export interface BuildJobResult {
  /** `<repository>@sha256:…`: what sessions run. */
  image: string;
  digest: string;
  tag: string;
  jobName: string;
}

export interface RunBuildJobOptions {
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /** Poll interval of the Job's pod (default 1 s). */
  pollMs?: number;
  /** How long the Job may have no started pod before the build fails with the cluster's reason (default 10 min). */
  startTimeoutMs?: number;
}

/**
 * Creates the ConfigMap and the Job, streams the build log to `onLog`, waits for the pod to end
 * and returns the pushed digest. The ConfigMap is deleted afterwards; the Job stays for an hour
 * (ttlSecondsAfterFinished) so `kubectl logs job/<name>` still works.
 */
export async function runBuildJob(clients: KubernetesClients, input: BuildJobInput, options: RunBuildJobOptions = {}): Promise<BuildJobResult> {
  const { namespace } = input;
  const name = buildJobName(input);
  const where = `environment ${input.environmentUuid} build ${input.build} (job ${name}, namespace ${namespace})`;
  try {
    await clients.core.createNamespacedConfigMap({ namespace, body: buildConfigMapManifest(input) }).catch(ignoreCodes(409));
    await clients.batch.createNamespacedJob({ namespace, body: buildJobManifest(input) });
  } catch (error) {
    throw apiError(`create the ${where}`, namespace, error);
  }
  const lines: string[] = [];
  try {
    const ended = await followPodToEnd(clients, {
      namespace,
      selector: labelSelector({ [BUILD_LABEL]: name }),
      container: 'buildkit',
      where,
      onLog: (line) => {
        lines.push(line);
        options.onLog?.(line);
      },
      ...(options.signal ? { signal: options.signal } : {}),
      onAbort: () => clients.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).then(() => undefined),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      job: name,
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    });
    if (ended.exitCode !== 0) {
      // The log itself went to onLog; the caller shows its tail.
      throw new RuntimeError('BERTH_RUNTIME_BUILD_FAILED', { by: 'job', where, exitCode: ended.exitCode, reason: ended.reason }, {
        details: { jobName: name, lastLogLines: lines.slice(-50) },
      });
    }
    const digest = digestFrom(ended.message, lines);
    if (!digest) {
      throw new RuntimeError('BERTH_RUNTIME_BUILD_NO_DIGEST', { where, repository: input.repository, namespace, job: name });
    }
    return { image: `${input.repository}@${digest}`, digest, tag: imageTag(input), jobName: name };
  } catch (error) {
    if (error instanceof RuntimeError && error.code === 'BERTH_RUNTIME_POD_CANNOT_START') {
      throw new RuntimeError('BERTH_RUNTIME_BUILD_FAILED', { by: 'builder', builderImage: input.buildkitImage ?? DEFAULT_BUILDKIT_IMAGE, message: error.message }, { cause: error });
    }
    if (error instanceof RuntimeError && error.code === 'BERTH_RUNTIME_POD_CANCELLED') {
      throw new RuntimeError('BERTH_RUNTIME_BUILD_CANCELLED', { where }, { cause: error });
    }
    if (error instanceof RuntimeError) throw error;
    throw apiError(`follow the ${where}`, namespace, error);
  } finally {
    await clients.core.deleteNamespacedConfigMap({ name, namespace }).catch(() => undefined);
  }
}

/** Where builds push and what they run: BERTH_K8S_REGISTRY and friends (src/runtime/kubernetes/config.ts). */
export interface BuildSettings {
  /** `registry.example.com/team/berth-env` (no tag). */
  repository: string;
  registrySecret?: string;
  insecureRegistry?: boolean;
  buildkitImage?: string;
  timeoutMs?: number;
}

export interface BuildJobBuilderOptions {
  namespace: string;
  installationId: string;
  projectClaim: string;
  projectsMountPath?: string;
  projectSubPath?: (projectUuid: string) => string;
  colocate?: Colocation;
  build: BuildSettings;
  pollMs?: number;
}

/**
 * Environment builds of the kubernetes runtime: each build is a Job (runBuildJob) whose context
 * is the project on the projects claim; services then run the pushed `<repository>@sha256:…`.
 */
export function createBuildJobImageBuilder(clients: KubernetesClients, options: BuildJobBuilderOptions): ImageBuilder {
  const { build: settings } = options;
  return {
    description: `kubernetes Job in namespace ${options.namespace}, pushing to ${settings.repository}`,
    async build(request) {
      const result = await runBuildJob(
        clients,
        {
          namespace: options.namespace,
          installationId: options.installationId,
          projectUuid: request.projectUuid,
          environmentUuid: request.environmentUuid,
          build: request.number,
          dockerfile: request.dockerfile,
          setupScript: request.setupScript,
          repository: settings.repository,
          projectClaim: options.projectClaim,
          projectSubPath: projectSubPathFor(request.projectUuid, request.projectDir, `the build of environment ${request.environmentUuid}`, options),
          ...(settings.registrySecret ? { registrySecret: settings.registrySecret } : {}),
          ...(settings.insecureRegistry ? { insecureRegistry: true } : {}),
          ...(settings.buildkitImage ? { buildkitImage: settings.buildkitImage } : {}),
          ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
          ...(options.colocate ? { colocate: options.colocate } : {}),
        },
        { onLog: request.onLog, ...(request.signal ? { signal: request.signal } : {}), ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) },
      );
      request.onLog(`berth: pushed ${result.tag} (${result.digest})`);
      return { image: result.image };
    },
  };
}
