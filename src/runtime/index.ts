/** @module runtime: the runtime interface, its error class and the runtimes. */
export type {
  Endpoint,
  ExecResult,
  Runtime,
  RuntimeObject,
  RuntimeRef,
  RuntimeState,
  StartOptions,
} from './types.ts';
export { RuntimeError } from './errors.ts';
export { isStartMarker, startMarker } from './log-marker.ts';
export { createLocalRuntime, type LocalRuntimeOptions } from './local/index.ts';
export { createDockerRuntime, type DockerRuntimeOptions } from './docker/index.ts';
export type { KubernetesRuntimeOptions } from './kubernetes/index.ts';

/** Lazy: @kubernetes/client-node costs ~0.5 s to import; only `--runtime kubernetes` pays it. */
export function loadKubernetesRuntime(): Promise<typeof import('./kubernetes/index.ts')> {
  return import('./kubernetes/index.ts');
}
