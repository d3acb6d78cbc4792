/**
 * One service on its way up, run as work in flight (tasks.ts): start an instance (or take the one
 * it has), wait for its readiness, record it ready or failed. Aborted work writes nothing: whoever
 * aborted it (a stop, a restart, apply, Berth shutting down) owns the record from then on.
 */
import type { ServicePlan } from '../plan/index.ts';
import type { RuntimeRef } from '../runtime/index.ts';
import { toBerthError } from '../shared/index.ts';
import { logFile, withHashLabel, type Deps } from './context.ts';
import { SessionError } from './errors.ts';
import { lastLogLines, runtimeProbe, waitForReadiness } from './readiness/index.ts';

/** `start`: a new instance; `wait`: the instance the record names (adopted, or being replaced by its runtime). */
export type BringUpMode = 'start' | 'wait';

export async function bringUp(deps: Deps, sessionUuid: string, service: ServicePlan, mode: BringUpMode, signal: AbortSignal): Promise<boolean> {
  const { runtime, records } = deps;
  const record = records.service(sessionUuid, service.name);
  const file = logFile(deps, sessionUuid, service.name);
  let ref: RuntimeRef | undefined =
    mode === 'wait' && record?.runtimeId ? { runtime: runtime.kind, id: record.runtimeId, sessionUuid, service: service.name } : undefined;
  const attempt = (record?.attempt ?? 0) + (ref ? 0 : 1);
  try {
    if (!ref) {
      records.setService(sessionUuid, service, { status: 'starting', attempt, startedAt: new Date().toISOString() });
      const started = await deps.starts.run(async () => {
        signal.throwIfAborted();
        return runtime.start(withHashLabel(service), {
          logFile: file,
          signal,
          onProgress: (line) => records.emit({ type: 'progress', sessionUuid, service: service.name, line }),
        });
      });
      ref = started;
      signal.throwIfAborted();
      records.saveService(sessionUuid, service, { status: 'starting', attempt, runtimeId: started.id, startedAt: new Date().toISOString() });
    }
    const instance = ref;
    const { readyAt } = await waitForReadiness(service, runtimeProbe(runtime, instance, service, { logFile: file, signal }));
    const endpoints: Record<string, { host: string; port: number }> = {};
    for (const port of service.ports) endpoints[String(port)] = await runtime.endpoint(instance, port);
    // "ready (N s)" is the instance's own start to the first check that passed, not Berth's
    // bookkeeping around it (an image pull, a poll interval, this save).
    const instanceStart = await runtime.inspect(instance).then((state) => (state.state === 'running' ? state.startedAt : undefined), () => undefined);
    signal.throwIfAborted();
    records.setService(sessionUuid, service, {
      status: 'ready',
      attempt,
      runtimeId: instance.id,
      endpoints,
      ...(instanceStart && Date.parse(instanceStart) <= readyAt ? { startedAt: new Date(Date.parse(instanceStart)).toISOString() } : {}),
      readyAt: new Date(readyAt).toISOString(),
    });
    return true;
  } catch (cause) {
    if (signal.aborted) return false;
    await failed(deps, sessionUuid, service, { cause, ref, attempt, file, signal });
    return false;
  }
}

/** Records why the start failed; the instance is stopped, so a failed session holds no half-started work. */
interface Failure {
  cause: unknown;
  ref: RuntimeRef | undefined;
  attempt: number;
  file: string;
  signal: AbortSignal;
}

async function failed(deps: Deps, sessionUuid: string, service: ServicePlan, at: Failure): Promise<void> {
  const error = toBerthError(at.cause, (message, options) => new SessionError('BERTH_SESSION_SERVICE_FAILED', { message }, options));
  const details = (error.details ?? {}) as { lastLogLines?: string[] };
  const lines = details.lastLogLines ?? (await lastLogLines(at.file, 20, true).catch(() => []));
  if (at.ref) await deps.runtime.stop(at.ref, { graceMs: deps.graceMs }).catch(() => undefined);
  if (at.signal.aborted) return;
  deps.records.setService(sessionUuid, service, {
    status: 'failed',
    reason: error.message,
    details: { code: error.code, hint: error.hint, lastLogLines: lines },
    attempt: at.attempt,
    runtimeId: null,
  });
}
