/** Test helpers: a hand-made ServicePlan started on a real local runtime, with its readiness probe. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ReadinessPlan, ServicePlan } from '../../plan/types.ts';
import { testServicePlan } from '../../runtime/test-plan.ts';
import { createLocalRuntime, type RuntimeRef } from '../../runtime/index.ts';
import { runtimeProbe } from './probe.ts';
import type { ReadinessProbe } from './types.ts';

export function servicePlan(name: string, readiness: ReadinessPlan, overrides: Partial<ServicePlan> = {}): ServicePlan {
  return testServicePlan({ name, readiness, installationId: 'berth-test-readiness', ...overrides });
}

export interface Started {
  ref: RuntimeRef;
  probe: ReadinessProbe;
  logFile: string;
}

/** Starts `plan` on a local runtime in a temp dir; the service and dir are gone after the test. */
export async function startService(t: TestContext, plan: ServicePlan, signal?: AbortSignal): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-readiness-'));
  const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500 });
  const logFile = join(dir, `${plan.name}.log`);
  const ref = await runtime.start(plan, { logFile });
  t.after(async () => {
    await runtime.stop(ref);
    await runtime.cleanupSession(plan.sessionUuid);
    rmSync(dir, { recursive: true, force: true });
  });
  const probe = runtimeProbe(runtime, ref, plan, { logFile, ...(signal ? { signal } : {}) });
  return { ref, probe, logFile };
}
