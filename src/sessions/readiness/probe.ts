import type { ServicePlan } from '../../plan/index.ts';
import type { Runtime, RuntimeRef } from '../../runtime/index.ts';
import type { ReadinessProbe } from './types.ts';

/** What readiness may use of one started instance: the same binding for the manager and the tests. */
export function runtimeProbe(runtime: Runtime, ref: RuntimeRef, plan: ServicePlan, options: { logFile: string; signal?: AbortSignal }): ReadinessProbe {
  return {
    endpoint: (port) => runtime.endpoint(ref, port),
    logFile: options.logFile,
    exec: (argv, execOptions) => runtime.exec(ref, argv, execOptions),
    state: () => runtime.inspect(ref),
    ...(runtime.readiness ? { runtimeReadiness: () => runtime.readiness!(ref, plan) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
