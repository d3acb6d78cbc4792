/** Test helpers: a hand-made ServicePlan started on a real local runtime, with its readiness probe. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { LABELS, type ReadinessPlan, type ServicePlan } from '../../plan/types.ts';
import { createLocalRuntime, type RuntimeRef } from '../../runtime/index.ts';
import type { ReadinessProbe } from './types.ts';

export function servicePlan(name: string, readiness: ReadinessPlan, overrides: Partial<ServicePlan> = {}): ServicePlan {
  const sessionUuid = randomUUID().replaceAll('-', '');
  return {
    name,
    sessionUuid,
    hostname: `${name}-${sessionUuid}`,
    image: 'custom',
    env: [],
    mounts: [],
    ports: [],
    exposed: false,
    requiresAuthentication: true,
    preserveBasePath: false,
    routes: [],
    readiness,
    dependsOn: [],
    labels: { [LABELS.installation]: 'berth-test-readiness', [LABELS.session]: sessionUuid, [LABELS.service]: name },
    specHash: 'test',
    spec: { name, image: 'custom', scope: ['interactive'], ports: [], exposed: false, order: 0 },
    ...overrides,
  };
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
  const probe: ReadinessProbe = {
    endpoint: (port) => runtime.endpoint(ref, port),
    logFile,
    exec: (argv, options) => runtime.exec(ref, argv, options),
    state: () => runtime.inspect(ref),
    ...(signal ? { signal } : {}),
  };
  return { ref, probe, logFile };
}
