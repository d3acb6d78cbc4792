/** Environment builds through a test server's API: start one, or wait for one to end. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuildInfo } from '../../src/api/index.ts';
import type { BerthClient } from '../../src/sdk/client.ts';

/** Polls the build record until the build is no longer `building`; every wait has a bound. */
export async function waitForBuild(client: BerthClient, project: string, environment: string, number: number, timeoutMs = 600_000): Promise<BuildInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The record appears a moment after the build was accepted.
    const record = await client.getEnvironmentBuild(project, environment, number).then((r) => r.build, () => undefined);
    if (record && record.status !== 'building') return record;
    if (Date.now() > deadline) throw new Error(`build ${number} of environment ${environment} did not end within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

export async function buildAndWait(client: BerthClient, project: string, environment: string, timeoutMs?: number): Promise<BuildInfo> {
  const { build } = await client.startEnvironmentBuild(project, environment);
  return waitForBuild(client, project, environment, build.number, timeoutMs);
}
