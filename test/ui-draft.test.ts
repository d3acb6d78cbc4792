/**
 * The service editor's working copy (web/src/lib/draft.ts): a service survives the round trip
 * through the form unchanged (unknown fields included), typed text reaches the validator as typed,
 * and the validator's diagnostics land at the field they are about.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { draftFromService, errorsForService, messagesFor, otherErrors, serviceFromDraft, specFromDrafts, uniqueName } from '../web/src/lib/draft.ts';
import { validateDraft } from '../web/src/lib/validate.ts';
import { validatePipeline } from '../src/spec/index.ts';
import type { PipelineSpec, ServiceSpec } from '../src/spec/types.ts';

const full: ServiceSpec = {
  name: 'api',
  image: 'node:20',
  scope: ['interactive'],
  command: 'node',
  args: 'server.js --port 3000',
  env_variables: { MODE: 'dev' },
  env_variables_inherit: ['API_TOKEN'],
  binds: { '/project-dir': '/app', '/data': '/data' },
  ports: [3000, 9229],
  exposed: true,
  requires_authentication: false,
  preserve_base_path: true,
  order: 4,
  readiness: { type: 'http', port: 3000, path: '/healthz', status: [200], timeout_seconds: 30 },
  depends_on: ['redis'],
  x_custom: { kept: true },
};

function pipeline(services: Record<string, unknown>): PipelineSpec {
  return { uuid: '0d6c7d2a-5f1e-4c3b-9a8d-1e2f3a4b5c6d', name: 'p', version: '1.2.3', steps: {}, services } as PipelineSpec;
}

describe('service drafts', () => {
  test('a service round-trips through the form unchanged, unknown fields included', () => {
    assert.deepEqual(serviceFromDraft(draftFromService(full, 0)), full);
  });

  test('typed text reaches the validator as typed, so its messages are about what the user wrote', () => {
    const draft = draftFromService({ name: 'web', image: 'python', scope: ['interactive'], ports: [8000], exposed: false, order: 0 }, 0);
    draft.ports = ['70000', 'abc'];
    const service = serviceFromDraft(draft);
    assert.deepEqual(service.ports, [70000, 'abc']);
    const diagnostics = validatePipeline(pipeline({ web: service }), 'p.orchest');
    const errors = errorsForService(diagnostics, 'web');
    assert.equal(errors.get('ports[0]')?.length, 1, JSON.stringify(diagnostics));
    assert.equal(errors.get('ports[1]')?.length, 1);
    assert.match(errors.get('ports[0]')![0]!, /outside the port range — use a port from 1 to 65535/);
  });

  test('diagnostics land at their field, also for names that are not identifiers', () => {
    const bad = draftFromService({ name: 'My Service', image: '', scope: ['interactive'], ports: [1], exposed: false, order: 0 }, 0);
    const spec = specFromDrafts(pipeline({}), [bad], undefined);
    const diagnostics = validatePipeline(spec, 'p.orchest');
    const errors = errorsForService(diagnostics, 'My Service');
    assert.ok(messagesFor(errors, 'name').some((m) => m.includes('not a valid service name')), JSON.stringify([...errors]));
    assert.ok(messagesFor(errors, 'image').length > 0);
    assert.deepEqual(otherErrors(diagnostics, ['My Service']), []);
  });

  test("a draft is checked for the server's runtime, as the server checks the file it runs", () => {
    const redis = (name: string, order: number) => serviceFromDraft(draftFromService({ name, image: 'redis', scope: ['interactive'], ports: [6379], exposed: false, order }, order));
    const spec = pipeline({ redis: redis('redis', 0), redis1: redis('redis1', 1) });
    const onLocal = errorsForService(validateDraft(spec, 'p.orchest', 'local'), 'redis1');
    assert.match(messagesFor(onLocal, 'ports[0]')[0] ?? '', /port 6379 is also a port of service "redis"/, JSON.stringify([...onLocal]));
    assert.deepEqual(validateDraft(spec, 'p.orchest', 'docker'), [], 'each service has its own address on docker');
    assert.deepEqual(validateDraft(spec, 'p.orchest', null), []);
  });

  test('names from templates are made unique the way Orchest did', () => {
    assert.equal(uniqueName('redis', []), 'redis');
    assert.equal(uniqueName('redis', ['redis', 'redis1']), 'redis2');
  });
});
