/** Test helpers of the local runtime: hand-made ServicePlans and a runtime that cleans up after itself. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ServicePlan } from '../../plan/types.ts';
import { testServicePlan } from '../test-plan.ts';
import type { Runtime } from '../types.ts';
import { createLocalRuntime } from './runtime.ts';

export const TEST_INSTALLATION = 'berth-test-local';

/** A ServicePlan as the planner would produce it, with only what the test says set. */
export function servicePlan(overrides: Partial<ServicePlan> & { name: string }): ServicePlan {
  return testServicePlan({ installationId: TEST_INSTALLATION, ...overrides });
}

export interface RuntimeHarness {
  runtime: Runtime;
  stateDir: string;
  /** A fresh temp directory removed after the test. */
  dir: string;
  logFile(service: string): string;
}

/**
 * A local runtime on a temp state dir; after the test every instance it knows is stopped. Host mode
 * whatever BERTH_LOCAL_ISOLATION says: these tests pin host-mode behaviour (real ports, 127.0.0.1);
 * namespace mode has its own tests (isolation/isolation.test.ts).
 */
export function localHarness(t: TestContext, graceMs = 2_000): RuntimeHarness {
  const dir = mkdtempSync(join(tmpdir(), 'berth-local-'));
  const stateDir = join(dir, 'state');
  const runtime = createLocalRuntime({ stateDir, graceMs, isolation: 'host' });
  t.after(async () => {
    const cleanup = createLocalRuntime({ stateDir, graceMs: 200, isolation: 'host' });
    const objects = await cleanup.list({});
    for (const object of objects) await cleanup.stop(object.ref);
    const holders = readdirSyncSafe(join(stateDir, 'ns')).map((hash) => sessionOfHolder(join(stateDir, 'ns', hash, 'holder.json')));
    for (const sessionUuid of new Set([...objects.map((o) => o.ref.sessionUuid), ...holders.filter((s): s is string => s !== undefined)])) {
      await cleanup.cleanupSession(sessionUuid);
    }
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { runtime, stateDir, dir, logFile: (service) => join(dir, 'logs', `${service}.log`) };
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The session of a namespace holder a test left (a runtime in namespace mode on the harness's state dir). */
function sessionOfHolder(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { sessionUuid?: string }).sessionUuid;
  } catch {
    return undefined;
  }
}

/** Polls until `condition` returns a value other than undefined/false; fails naming `what` after 15 s. */
export async function eventually<T>(what: string, condition: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
