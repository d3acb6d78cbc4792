import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getServiceTemplate, SERVICE_TEMPLATES, serviceFromTemplate } from './templates.ts';
import { validatePipeline } from './validate.ts';
import { SpecError } from './errors.ts';
import type { ServiceSpec } from './types.ts';

function pipelineWith(services: Record<string, ServiceSpec>): Record<string, unknown> {
  return { name: 'p', uuid: 'u', version: '1.2.3', steps: {}, services };
}

/** Orchest's final templates, transcribed from content.tsx (orchest-compatibility.md: Templates). */
const ORCHEST: Record<string, Record<string, unknown>> = {
  tensorboard: {
    binds: { '/data': '/data' },
    command: 'bash',
    args: "-c 'umask 002 && tensorboard --logdir /data --host 0.0.0.0'",
    exposed: true,
    requires_authentication: true,
    image: 'tensorflow/tensorflow',
    name: 'tensorboard',
    ports: [6006],
    scope: ['interactive'],
  },
  streamlit: {
    binds: { '/data': '/data', '/project-dir': '/usr/src/app/src' },
    args: "-c 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py'",
    command: 'bash',
    env_variables: { STREAMLIT_SERVER_BASE_URL_PATH: '$BASE_PATH_PREFIX_8501' },
    exposed: true,
    requires_authentication: true,
    image: 'orchest/streamlit',
    name: 'streamlit',
    ports: [8501],
    preserve_base_path: true,
    scope: ['interactive', 'noninteractive'],
  },
  vscode: {
    binds: { '/project-dir': '/home/coder/code-server' },
    command: 'bash',
    args: "-c 'umask 002 && code-server --auth none --bind-addr 0.0.0.0:8080 /home/coder/code-server'",
    exposed: true,
    requires_authentication: true,
    image: 'codercom/code-server:latest',
    name: 'vscode',
    ports: [8080],
    scope: ['interactive'],
  },
  redis: { exposed: true, requires_authentication: true, image: 'redis', name: 'redis', ports: [6379], scope: ['interactive', 'noninteractive'] },
  custom: { exposed: false, requires_authentication: true, image: '', name: 'my-service', scope: ['interactive', 'noninteractive'], ports: [8000] },
};

describe('service templates', () => {
  for (const template of SERVICE_TEMPLATES) {
    test(`${template.id} ${template.fromOrchest ? 'equals Orchest\'s template' : 'is Berth\'s own'} and ${template.id === 'custom' ? 'only lacks an image' : 'validates'}`, () => {
      if (template.fromOrchest) assert.deepEqual(template.config, ORCHEST[template.id]);
      const service = serviceFromTemplate(template.id, {});
      const diagnostics = validatePipeline(pipelineWith({ [service.name]: service }), 'p.orchest');
      if (template.id === 'custom') {
        // Orchest's "empty" template leaves the image to the user, so it fails exactly there.
        assert.deepEqual(diagnostics.map((d) => [d.code, d.path]), [['BERTH_SPEC_IMAGE_EMPTY', 'services["my-service"].image']]);
      } else {
        assert.deepEqual(diagnostics, []);
      }
    });
  }

  test('postgres persists into /data, takes its password by inheritance and is probed with pg_isready', () => {
    const { config } = getServiceTemplate('postgres');
    assert.deepEqual(config.binds, { '/data': '/data' });
    assert.match(config.env_variables?.PGDATA ?? '', /^\/data\//);
    assert.deepEqual(config.env_variables_inherit, ['POSTGRES_PASSWORD']);
    assert.equal(config.readiness?.type, 'command');
    assert.equal(config.readiness?.type === 'command' && config.readiness.command[0], 'pg_isready');
  });

  test('jupyter preserves its base path and takes base_url from $BASE_PATH_PREFIX_8888', () => {
    const { config } = getServiceTemplate('jupyter');
    assert.equal(config.preserve_base_path, true);
    assert.match(config.args ?? '', /--ServerApp\.base_url=\$BASE_PATH_PREFIX_8888/);
    assert.equal(config.requires_authentication, true);
  });

  test('names are made unique like Orchest (redis, redis1, redis2) and order is last + 1', () => {
    const first = serviceFromTemplate('redis', {});
    assert.equal(first.name, 'redis');
    assert.equal(first.order, 1);
    const second = serviceFromTemplate('redis', { redis: first });
    assert.equal(second.name, 'redis1');
    assert.equal(second.order, 2);
    const third = serviceFromTemplate('redis', { redis: first, redis1: { ...second, order: 7 } });
    assert.equal(third.name, 'redis2');
    assert.equal(third.order, 8);
  });

  test('a new service is a copy: editing it does not change the template', () => {
    const service = serviceFromTemplate('streamlit', {});
    service.env_variables!.X = '1';
    assert.equal(getServiceTemplate('streamlit').config.env_variables?.X, undefined);
  });

  test('an unknown template says which exist', () => {
    assert.throws(() => serviceFromTemplate('mongo', {}), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.code, 'BERTH_SPEC_TEMPLATE_UNKNOWN');
      assert.equal(error.message, 'there is no service template "mongo"');
      assert.equal(error.hint, 'use one of: tensorboard, streamlit, vscode, redis, postgres, jupyter, custom');
      return true;
    });
  });
});
