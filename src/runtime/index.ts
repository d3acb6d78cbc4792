/** @module runtime: the runtime interface, its error class and the runtimes. */
import type * as Kubernetes from './kubernetes/index.ts';
export type {
  Endpoint,
  ExecResult,
  ExitFeed,
  ImageBuilder,
  ImageBuildRequest,
  Runtime,
  RuntimeObject,
  RuntimeReadiness,
  RuntimeRef,
  RuntimeState,
  StartOptions,
  TaskOptions,
  TaskResult,
  TaskSpec,
} from './types.ts';
export { RuntimeError } from './errors.ts';
export { RUNTIME_CODES, type RuntimeCode } from './codes.ts';
export { isStartMarker, startMarker } from './log-marker.ts';
export { createLocalRuntime, hostProgramProblem, type HostProgramProblem, type LocalRuntimeOptions } from './local/index.ts';
export {
  createDockerRuntime,
  createEngineImageBuilder,
  createDockerClient,
  createDemuxer,
  engineStatus,
  networkName,
  resolveSocketPath,
  socketPathFromDockerHost,
  type DockerClient,
  type DockerRuntimeOptions,
} from './docker/index.ts';
export type { KubernetesRuntimeOptions } from './kubernetes/index.ts';

type KubernetesModule = typeof Kubernetes;

/** Lazy: @kubernetes/client-node costs ~0.5 s to import; only `--runtime kubernetes` pays it. */
export function loadKubernetesRuntime(): Promise<KubernetesModule> {
  return import('./kubernetes/index.ts');
}
