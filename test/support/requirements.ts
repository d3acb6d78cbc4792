/**
 * Tests that need a real engine, program or browser skip with a loud reason when run by hand
 * without it, and fail under CI=true (where .ci/run must have installed it).
 *
 * @example
 *   const redis = commandRequirement('redis-server', 'apt-get install redis-server');
 *   describe('redis as a service', skipUnless(redis), () => { … });
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';

export interface Requirement {
  ok: boolean;
  what: string;
  fix: string;
}

export function commandRequirement(command: string, fix: string): Requirement {
  const found = spawnSync('sh', ['-c', 'command -v "$0"', command], { encoding: 'utf8' });
  return { ok: found.status === 0, what: `the ${command} command`, fix };
}

export function skipUnless(...requirements: Requirement[]): { skip?: string } {
  const missing = requirements.filter((r) => !r.ok);
  if (missing.length === 0) return {};
  const reason = missing.map((r) => `needs ${r.what} (${r.fix})`).join('; ');
  if (process.env.CI === 'true') {
    test(`requirement met: ${missing.map((r) => r.what).join(', ')}`, () => {
      throw new Error(`CI=true but this suite ${reason}; .ci/run must provide it`);
    });
    return {};
  }
  process.stderr.write(`\n\x1b[33m*** SKIPPED: this suite ${reason}\x1b[0m\n`);
  return { skip: reason };
}
