/**
 * `--runtime local|docker|kubernetes|auto`. auto uses a container engine when one answers on its socket
 * (DOCKER_HOST, then Docker's and Podman's default sockets), else the local runtime; the choice
 * is said at start-up and in `berth session status`.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { createDockerRuntime, createLocalRuntime, loadKubernetesRuntime, socketPathFromDockerHost, type Runtime } from '../runtime/index.ts';
import { ApiError } from './errors.ts';

export type RuntimeChoice = 'local' | 'docker' | 'kubernetes' | 'auto';

export interface RuntimeChoiceOptions {
  choice: RuntimeChoice;
  stateDir: string;
  installationId: string;
  dockerHost?: string;
  graceMs?: number;
  /** Where the kubernetes runtime reads its BERTH_K8S_* settings (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/podman/podman.sock'];

export async function chooseRuntime(
  options: RuntimeChoiceOptions,
): Promise<{ runtime: Runtime; description: string; socketPath?: string; runsDir?: string; projectsDir?: string; namespace?: string }> {
  const grace = options.graceMs === undefined ? {} : { graceMs: options.graceMs };
  if (options.choice === 'kubernetes') {
    const { createKubernetesRuntime, kubernetesOptionsFromEnv } = await loadKubernetesRuntime();
    const k8s = kubernetesOptionsFromEnv(options.env ?? process.env, options.installationId, options.graceMs);
    return {
      runtime: createKubernetesRuntime(k8s),
      description: `kubernetes (namespace ${k8s.namespace})`,
      // Job runs copy the project where step and service pods can mount it: on the projects claim.
      runsDir: join(k8s.projectsMountPath ?? '/projects', '.berth-runs'),
      // Projects created through the API go on the claim too, or their services could not mount them.
      projectsDir: k8s.projectsMountPath ?? '/projects',
      // The steps' ORCHEST_NAMESPACE, also when it came from the service account's file.
      namespace: k8s.namespace,
    };
  }
  if (options.choice !== 'local') {
    const candidates = dockerSockets(options.dockerHost);
    for (const socketPath of candidates) {
      if (await pingEngine(socketPath)) {
        return {
          runtime: createDockerRuntime({ socketPath, installationId: options.installationId, ...grace }),
          description: `docker (engine at unix://${socketPath})`,
          socketPath,
        };
      }
    }
    if (options.choice === 'docker') {
      throw new ApiError('BERTH_API_NO_ENGINE', { sockets: candidates });
    }
  }
  const reason = options.choice === 'auto' ? ' (no container engine answered)' : '';
  return {
    runtime: createLocalRuntime({ stateDir: options.stateDir, ...grace }),
    description: `local host processes${reason}`,
  };
}

/** The sockets to try: DOCKER_HOST's (refused as the docker runtime refuses it), else the defaults. */
export function dockerSockets(dockerHost = process.env.DOCKER_HOST): string[] {
  if (dockerHost) return [socketPathFromDockerHost(dockerHost)];
  return DEFAULT_SOCKETS;
}

export function pingEngine(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** The first engine socket that answers, for work that needs an engine whatever the runtime (builds on the local runtime). */
export async function findEngineSocket(dockerHost?: string): Promise<string | undefined> {
  for (const socketPath of dockerSockets(dockerHost)) if (await pingEngine(socketPath)) return socketPath;
  return undefined;
}
