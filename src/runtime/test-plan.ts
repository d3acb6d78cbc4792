/**
 * Test support (imported by tests only): a ServicePlan as the planner would make it, with only
 * what the test sets. Runtimes and readiness are tested without the planner.
 */
import { randomUUID } from 'node:crypto';
import { LABELS, type ServicePlan } from '../plan/types.ts';

export function testServicePlan(fields: Partial<ServicePlan> & { name: string; installationId?: string }): ServicePlan {
  const { installationId = 'berth-test', ...overrides } = fields;
  const { name } = overrides;
  const sessionUuid = overrides.sessionUuid ?? randomUUID().replaceAll('-', '');
  const image = overrides.image ?? 'custom';
  return {
    sessionUuid,
    hostname: `${name}-${sessionUuid}`,
    image,
    env: [],
    mounts: [],
    ports: [],
    exposed: false,
    requiresAuthentication: true,
    preserveBasePath: false,
    routes: [],
    readiness: { type: 'none', timeoutMs: 10_000, intervalMs: 50 },
    dependsOn: [],
    labels: {
      [LABELS.installation]: installationId,
      [LABELS.project]: 'test-project',
      [LABELS.pipeline]: 'test-pipeline',
      [LABELS.session]: sessionUuid,
      [LABELS.service]: name,
    },
    specHash: 'test',
    spec: { name, image, scope: ['interactive'], ports: overrides.ports ?? [], exposed: false, order: 0 },
    ...overrides,
  };
}
