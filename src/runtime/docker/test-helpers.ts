/**
 * Test support for the docker runtime and environment builds (imported by *.test.ts only): engine
 * requirements that ping the real sockets, and ServicePlans built by hand (the planner is not
 * needed to test a runtime).
 */
import { randomUUID } from 'node:crypto';
import type { ServicePlan } from '../../plan/types.ts';
import { testServicePlan } from '../test-plan.ts';
import type { Requirement } from '../../../test/support/requirements.ts';
import { createDockerClient } from './client.ts';

export interface Engine {
  name: 'docker' | 'podman';
  socketPath: string;
  requirement: Requirement;
}

/** Both real engines the CI machine runs (ci/setup-engines.sh), each gated by a ping of its socket. */
export async function engines(): Promise<Engine[]> {
  const found: Engine[] = [];
  for (const [name, socketPath] of [
    ['docker', '/var/run/docker.sock'],
    ['podman', '/run/podman/podman.sock'],
  ] as const) {
    const ok = await createDockerClient(socketPath).ping(3000);
    found.push({ name, socketPath, requirement: { ok, what: `the ${name} engine answering on ${socketPath}`, fix: 'bash ci/setup-engines.sh' } });
  }
  return found;
}

/** A short unique session uuid (hostnames must stay within 63 characters). */
export function testSessionUuid(): string {
  return `t${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export function servicePlan(installationId: string, sessionUuid: string, name: string, fields: Partial<ServicePlan> = {}): ServicePlan {
  return testServicePlan({ name, sessionUuid, installationId, image: 'localhost/redis:7', readiness: { type: 'none', timeoutMs: 10_000, intervalMs: 100 }, ...fields });
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; then throws `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Removes images a test built (each run makes new ones: they go with the test, not into the
 * engine's pile) and, given a project, the dangling layers its failed builds left behind.
 */
export async function removeTestImages(socketPath: string, images: string[], projectUuid?: string): Promise<void> {
  const client = createDockerClient(socketPath);
  for (const image of images) await client.json('DELETE', `/images/${encodeURIComponent(image)}`, { query: { force: 1 } }).catch(() => undefined);
  if (projectUuid === undefined) return;
  const filters = JSON.stringify({ label: [`berth.project=${projectUuid}`], dangling: ['true'] });
  await client.json('POST', '/images/prune', { query: { filters } }).catch(() => undefined);
}
