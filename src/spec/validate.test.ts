/* eslint-disable @typescript-eslint/no-explicit-any -- these tests poke at untyped JSON on purpose */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePipeline } from './validate.ts';
import type { Diagnostic } from './types.ts';

/** A valid pipeline; each test breaks one thing in a copy. */
function basePipeline(): Record<string, any> {
  return {
    name: 'p',
    uuid: '6b0e4d2a-8f3c-4a51-9e7d-1c2b3a4f5e60',
    version: '1.2.3',
    parameters: {},
    settings: {},
    steps: {
      'a1b2c3d4-1111-4a2b-8c3d-4e5f6a7b8c91': {
        uuid: 'a1b2c3d4-1111-4a2b-8c3d-4e5f6a7b8c91',
        title: 'One',
        file_path: 'one.py',
        incoming_connections: [],
        environment: '9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50',
        parameters: {},
      },
    },
    services: {
      redis: { name: 'redis', image: 'redis', scope: ['interactive'], ports: [6379], exposed: false, order: 1 },
      web: {
        name: 'web',
        image: 'python:3.12-slim',
        command: 'python3',
        args: '-m http.server 8080',
        scope: ['interactive', 'noninteractive'],
        ports: [8080],
        exposed: true,
        order: 2,
        binds: { '/data': '/data', '/project-dir': '/project-dir' },
        env_variables: { A: '1' },
        env_variables_inherit: ['B'],
      },
    },
  };
}

function errorsOf(mutate: (p: Record<string, any>) => void): Diagnostic[] {
  const pipeline = basePipeline();
  mutate(pipeline);
  return validatePipeline(pipeline, 'p.orchest');
}

/** Exactly one diagnostic, with this code and path; returns it for message assertions. */
function only(diagnostics: Diagnostic[], code: string, path: string): Diagnostic {
  assert.equal(diagnostics.length, 1, `expected one diagnostic, got ${JSON.stringify(diagnostics, null, 2)}`);
  const [d] = diagnostics as [Diagnostic];
  assert.equal(d.code, code);
  assert.equal(d.path, path);
  assert.equal(d.file, 'p.orchest');
  assert.ok(d.hint, 'every diagnostic has a hint');
  return d;
}

describe('validatePipeline', () => {
  test('the base pipeline is valid', () => {
    assert.deepEqual(validatePipeline(basePipeline(), 'p.orchest'), []);
  });

  test('service name must match Orchest regex', () => {
    const d = only(errorsOf((p) => { p.services.redis.name = 'Redis'; p.services.Redis = p.services.redis; delete p.services.redis; }), 'BERTH_SPEC_NAME_INVALID', 'services.Redis.name');
    assert.equal(d.message, 'services.Redis.name: "Redis" is not a valid service name');
    // The rule in words: people read the hint, not a regular expression.
    assert.match(d.hint ?? '', /starts with a lowercase letter and has at most 26 characters, all lowercase letters, digits or dashes/);
    assert.doesNotMatch(d.hint ?? '', /\^|\{0,25\}/);
  });

  test('service name longer than 26 characters', () => {
    const long = 'a'.repeat(27);
    const d = only(errorsOf((p) => { p.services[long] = { ...p.services.redis, name: long }; delete p.services.redis; }), 'BERTH_SPEC_NAME_INVALID', `services.${long}.name`);
    assert.match(d.message, /is not a valid service name/);
  });

  test('service name may not end with a dash', () => {
    const d = only(errorsOf((p) => { p.services['redis-'] = { ...p.services.redis, name: 'redis-' }; delete p.services.redis; }), 'BERTH_SPEC_NAME_TRAILING_DASH', 'services["redis-"].name');
    assert.equal(d.message, 'services["redis-"].name: "redis-" ends with "-"');
  });

  for (const reserved of ['jupyter-server', 'jupyter-eg', 'session-sidecar', 'environment-shell', 'berth', 'api', 'login']) {
    test(`reserved name ${reserved}`, () => {
      const d = only(errorsOf((p) => { p.services[reserved] = { ...p.services.redis, name: reserved }; delete p.services.redis; }), 'BERTH_SPEC_NAME_RESERVED', `services${/-/.test(reserved) ? `["${reserved}"]` : `.${reserved}`}.name`);
      assert.match(d.message, new RegExp(`"${reserved}" is a reserved service name`));
    });
  }

  test('key must equal name', () => {
    const d = only(errorsOf((p) => { p.services.redis.name = 'cache'; }), 'BERTH_SPEC_NAME_KEY_MISMATCH', 'services.redis.name');
    assert.equal(d.message, 'services.redis.name is "cache" but the service is listed under the key "redis"');
  });

  test('image must not be empty', () => {
    const d = only(errorsOf((p) => { p.services.redis.image = ''; }), 'BERTH_SPEC_IMAGE_EMPTY', 'services.redis.image');
    assert.equal(d.message, 'services.redis.image is empty');
  });

  test('environment@ must name a uuid', () => {
    const d = only(errorsOf((p) => { p.services.redis.image = 'environment@python'; }), 'BERTH_SPEC_IMAGE_ENVIRONMENT', 'services.redis.image');
    assert.match(d.message, /"environment@python" is not a well-formed environment reference/);
    assert.deepEqual(errorsOf((p) => { p.services.redis.image = 'environment@9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50'; }), []);
  });

  test('scope must not be empty', () => {
    const d = only(errorsOf((p) => { p.services.redis.scope = []; }), 'BERTH_SPEC_SCOPE_EMPTY', 'services.redis.scope');
    assert.equal(d.message, 'services.redis.scope is empty, so the service would never start');
  });

  test('scope entries must be interactive or noninteractive', () => {
    const d = only(errorsOf((p) => { p.services.redis.scope = ['interactive', 'batch']; }), 'BERTH_SPEC_SCOPE_INVALID', 'services.redis.scope[1]');
    assert.equal(d.message, 'services.redis.scope[1]: "batch" is not a scope');
  });

  test('ports must not be empty', () => {
    const d = only(errorsOf((p) => { p.services.redis.ports = []; }), 'BERTH_SPEC_PORTS_EMPTY', 'services.redis.ports');
    assert.equal(d.message, 'services.redis.ports is empty');
  });

  test('ports must be integers, and true is not a port', () => {
    const d = only(errorsOf((p) => { p.services.redis.ports = [true]; }), 'BERTH_SPEC_PORT_TYPE', 'services.redis.ports[0]');
    assert.equal(d.message, 'services.redis.ports[0] must be a whole number, not the boolean true');
    only(errorsOf((p) => { p.services.redis.ports = [63.5]; }), 'BERTH_SPEC_PORT_TYPE', 'services.redis.ports[0]');
  });

  test('ports must be within 1-65535', () => {
    const d = only(errorsOf((p) => { p.services.redis.ports = [6379, 70000]; }), 'BERTH_SPEC_PORT_RANGE', 'services.redis.ports[1]');
    assert.equal(d.message, 'services.redis.ports[1]: 70000 is outside the port range');
    assert.equal(d.hint, 'use a port from 1 to 65535');
    only(errorsOf((p) => { p.services.redis.ports = [0]; }), 'BERTH_SPEC_PORT_RANGE', 'services.redis.ports[0]');
  });

  test('ports must not repeat', () => {
    const d = only(errorsOf((p) => { p.services.redis.ports = [6379, 6380, 6379]; }), 'BERTH_SPEC_PORT_DUPLICATE', 'services.redis.ports[2]');
    assert.equal(d.message, 'services.redis.ports[2] repeats port 6379');
  });

  test('exposed is required and must be a boolean, not a number', () => {
    const missing = only(errorsOf((p) => { delete p.services.redis.exposed; }), 'BERTH_SPEC_REQUIRED', 'services.redis.exposed');
    assert.equal(missing.message, 'services.redis.exposed is missing');
    const number = only(errorsOf((p) => { p.services.redis.exposed = 1; }), 'BERTH_SPEC_TYPE', 'services.redis.exposed');
    assert.equal(number.message, 'services.redis.exposed must be a boolean, not the number 1');
    assert.equal(number.hint, 'write true or false, without quotes');
  });

  test('requires_authentication and preserve_base_path must be booleans', () => {
    only(errorsOf((p) => { p.services.redis.requires_authentication = 'yes'; }), 'BERTH_SPEC_TYPE', 'services.redis.requires_authentication');
    const d = only(errorsOf((p) => { p.services.redis.preserve_base_path = 0; }), 'BERTH_SPEC_TYPE', 'services.redis.preserve_base_path');
    assert.equal(d.message, 'services.redis.preserve_base_path must be a boolean, not the number 0');
  });

  test('command and args must be strings', () => {
    const d = only(errorsOf((p) => { p.services.web.args = ['-m', 'http.server']; }), 'BERTH_SPEC_TYPE', 'services.web.args');
    assert.equal(d.message, 'services.web.args must be a string, not a list');
  });

  test('bind sources are only /data and /project-dir', () => {
    const d = only(errorsOf((p) => { p.services.web.binds['/home'] = '/home'; }), 'BERTH_SPEC_BIND_SOURCE', 'services.web.binds["/home"]');
    assert.equal(d.message, 'services.web.binds["/home"] is not a bind source Berth can mount');
  });

  test('bind targets must be absolute', () => {
    const d = only(errorsOf((p) => { p.services.web.binds['/data'] = 'data'; }), 'BERTH_SPEC_BIND_TARGET', 'services.web.binds["/data"]');
    assert.equal(d.message, 'services.web.binds["/data"]: "data" is not an absolute path');
  });

  test('bind targets must not overlap', () => {
    const d = only(errorsOf((p) => { p.services.web.binds['/project-dir'] = '/data/project'; }), 'BERTH_SPEC_BIND_OVERLAP', 'services.web.binds["/project-dir"]');
    assert.match(d.message, /"\/data\/project" overlaps the other bind target "\/data" of \/data/);
    assert.deepEqual(errorsOf((p) => { p.services.web.binds['/project-dir'] = '/database'; }), []);
  });

  test('env var names', () => {
    const d = only(errorsOf((p) => { p.services.web.env_variables['MY VAR'] = 'x'; }), 'BERTH_SPEC_ENV_NAME', 'services.web.env_variables["MY VAR"]');
    assert.equal(d.message, 'services.web.env_variables["MY VAR"]: "MY VAR" is not a valid environment variable name');
    only(errorsOf((p) => { p.services.web.env_variables_inherit = ['OK', 'NOT.OK']; }), 'BERTH_SPEC_ENV_NAME', 'services.web.env_variables_inherit[1]');
  });

  test('env values must be strings', () => {
    const d = only(errorsOf((p) => { p.services.web.env_variables.PORT = 8080; }), 'BERTH_SPEC_ENV_VALUE', 'services.web.env_variables.PORT');
    assert.equal(d.message, 'services.web.env_variables.PORT must be a string, not the number 8080');
  });

  test('order must be unique', () => {
    const d = only(errorsOf((p) => { p.services.web.order = 1; }), 'BERTH_SPEC_ORDER_DUPLICATE', 'services.web.order');
    assert.equal(d.message, 'services.web.order: 1 is also the order of service "redis"');
  });

  test('order is required', () => {
    only(errorsOf((p) => { delete p.services.web.order; }), 'BERTH_SPEC_REQUIRED', 'services.web.order');
  });

  test('depends_on must name services of the pipeline', () => {
    const d = only(errorsOf((p) => { p.services.web.depends_on = ['postgres']; }), 'BERTH_SPEC_DEPENDS_ON_UNKNOWN', 'services.web.depends_on[0]');
    assert.equal(d.message, 'services.web.depends_on[0] names "postgres", which is not a service of this pipeline');
    assert.equal(d.hint, "name one of the pipeline's services: redis, web");
    only(errorsOf((p) => { p.services.web.depends_on = ['web']; }), 'BERTH_SPEC_DEPENDS_ON_SELF', 'services.web.depends_on[0]');
  });

  test('depends_on must not form cycles', () => {
    const d = only(
      errorsOf((p) => {
        p.services.web.depends_on = ['redis'];
        p.services.redis.depends_on = ['web'];
      }),
      'BERTH_SPEC_DEPENDS_ON_CYCLE',
      'services.redis.depends_on',
    );
    assert.equal(d.message, 'services.redis.depends_on makes a dependency cycle: redis -> web -> redis');
    assert.deepEqual(errorsOf((p) => { p.services.web.depends_on = ['redis']; }), []);
  });

  test('readiness type must be known', () => {
    const d = only(errorsOf((p) => { p.services.web.readiness = { type: 'tcp' }; }), 'BERTH_SPEC_READINESS_TYPE', 'services.web.readiness.type');
    assert.equal(d.message, 'services.web.readiness.type: "tcp" is not a readiness type');
  });

  test('http readiness port must be one of the service ports', () => {
    const d = only(errorsOf((p) => { p.services.web.readiness = { type: 'http', port: 9000, path: '/healthz' }; }), 'BERTH_SPEC_READINESS_PORT', 'services.web.readiness.port');
    assert.equal(d.message, "services.web.readiness.port: 9000 is not one of the service's ports");
    assert.equal(d.hint, 'use one of the ports listed in "ports": 8080');
  });

  test('readiness fields are checked', () => {
    only(errorsOf((p) => { p.services.web.readiness = { type: 'http', path: 'healthz' }; }), 'BERTH_SPEC_READINESS_PATH', 'services.web.readiness.path');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'http', status: [700] }; }), 'BERTH_SPEC_READINESS_STATUS', 'services.web.readiness.status[0]');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'log', pattern: '(' }; }), 'BERTH_SPEC_READINESS_PATTERN', 'services.web.readiness.pattern');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'command', command: [] }; }), 'BERTH_SPEC_READINESS_COMMAND', 'services.web.readiness.command');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'none', timeout_seconds: 0 }; }), 'BERTH_SPEC_READINESS_TIMEOUT', 'services.web.readiness.timeout_seconds');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'port', ports: [1234] }; }), 'BERTH_SPEC_READINESS_PORT', 'services.web.readiness.ports[0]');
    only(errorsOf((p) => { p.services.web.readiness = { type: 'none', timeout: 5 }; }), 'BERTH_SPEC_UNKNOWN_FIELD', 'services.web.readiness.timeout');
  });

  test('an old version asks for migration, an unknown one is refused', () => {
    const old = only(errorsOf((p) => { p.version = '1.1.0'; }), 'BERTH_SPEC_VERSION_OLD', 'version');
    assert.match(old.hint ?? '', /berth migrate/);
    only(errorsOf((p) => { p.version = '9.0.0'; }), 'BERTH_SPEC_VERSION_UNKNOWN', 'version');
  });

  test('warning: command with spaces', () => {
    const d = only(errorsOf((p) => { p.services.web.command = 'python3 -m http.server'; }), 'BERTH_SPEC_COMMAND_SPACES', 'services.web.command');
    assert.equal(d.severity, 'warning');
    assert.match(d.hint ?? '', /args.*orchest\/orchest#1098/);
  });

  test('warning: exposed without authentication is public', () => {
    const d = only(errorsOf((p) => { p.services.web.requires_authentication = false; }), 'BERTH_SPEC_PUBLIC_SERVICE', 'services.web.requires_authentication');
    assert.equal(d.severity, 'warning');
    assert.deepEqual(errorsOf((p) => { p.services.redis.requires_authentication = false; }), [], 'not exposed: not public');
  });

  test('warning: secrets in env_variables', () => {
    for (const name of ['DB_PASSWORD', 'CLIENT_SECRET', 'GITHUB_TOKEN', 'api_key']) {
      const d = only(errorsOf((p) => { p.services.web.env_variables[name] = 'x'; }), 'BERTH_SPEC_SECRET_IN_ENV', `services.web.env_variables.${name}`);
      assert.equal(d.severity, 'warning');
      assert.match(d.hint ?? '', /env_variables_inherit/);
    }
  });

  test('every problem is reported at once, grouped by service in file order', () => {
    const diagnostics = errorsOf((p) => {
      p.services.redis.ports = [0];
      p.services.web.exposed = 'yes';
      p.services.redis.scope = [];
    });
    assert.deepEqual(
      diagnostics.map((d) => d.path),
      ['services.redis.scope', 'services.redis.ports[0]', 'services.web.exposed'],
    );
  });

  test('warning: an unknown service field that looks like a typo', () => {
    const d = only(errorsOf((p) => { p.services.web.expose = true; }), 'BERTH_SPEC_FIELD_TYPO', 'services.web.expose');
    assert.equal(d.severity, 'warning');
    assert.equal(d.message, 'services.web.expose is not a service field, so Berth ignores it; did you mean "exposed"?');
    only(errorsOf((p) => { p.services.web.require_authentication = false; }), 'BERTH_SPEC_FIELD_TYPO', 'services.web.require_authentication');
  });

  test('unknown fields are allowed', () => {
    assert.deepEqual(errorsOf((p) => { p.services.redis.x_custom = { a: 1 }; p.future_field = true; }), []);
  });
});

describe('validatePipeline for the local runtime', () => {
  const local = (mutate: (p: Record<string, any>) => void): Diagnostic[] => {
    const pipeline = basePipeline();
    mutate(pipeline);
    return validatePipeline(pipeline, 'p.orchest', { runtime: 'local' });
  };

  test('two services of one session on one port: the later one in file order is refused, naming both', () => {
    const d = only(local((p) => { p.services.web.ports = [9000, 6379]; }), 'BERTH_SPEC_PORT_SHARED_LOCAL', 'services.web.ports[1]');
    assert.equal(d.severity, 'error');
    assert.equal(
      d.message,
      'services.web.ports[1]: port 6379 is also a port of service "redis", and both start in sessions: on the local runtime the services of a session share one network, where only one program can listen on a port',
    );
    assert.match(d.hint ?? '', /^change one of the two ports, and the port its program listens on/);
    assert.match(d.hint ?? '', /unlike Orchest, docker and kubernetes, where each service has its own address/);
  });

  test('job runs share a network too; services whose scopes do not overlap never run together', () => {
    const jobs = only(
      local((p) => {
        p.services.redis.scope = ['noninteractive'];
        p.services.redis.ports = [8080];
      }),
      'BERTH_SPEC_PORT_SHARED_LOCAL',
      'services.web.ports[0]',
    );
    assert.match(jobs.message, /service "redis", and both start in job runs:/);
    assert.deepEqual(local((p) => {
      p.services.redis.ports = [8080];
      p.services.web.scope = ['noninteractive'];
    }), []);
  });

  test('every shared port is reported once, against the first service that declared it', () => {
    const diagnostics = local((p) => {
      p.services.redis.scope = ['interactive', 'noninteractive'];
      p.services.redis.ports = [6379, 8080];
      p.services.web.ports = [8080, 6379, 8080];
      p.services.third = { name: 'third', image: 'x', scope: ['interactive'], ports: [8080], exposed: false, order: 3 };
    });
    assert.deepEqual(diagnostics.map((d) => [d.code, d.path]), [
      ['BERTH_SPEC_PORT_DUPLICATE', 'services.web.ports[2]'],
      ['BERTH_SPEC_PORT_SHARED_LOCAL', 'services.web.ports[0]'],
      ['BERTH_SPEC_PORT_SHARED_LOCAL', 'services.web.ports[1]'],
      ['BERTH_SPEC_PORT_SHARED_LOCAL', 'services.third.ports[0]'],
    ]);
    assert.match(diagnostics[1]?.message ?? '', /service "redis", and both start in sessions and job runs:/);
    assert.match(diagnostics[3]?.message ?? '', /service "redis", and both start in sessions:/);
  });

  test('other runtimes give each service its own address: the same pipeline is valid there', () => {
    const shared = (p: Record<string, any>) => { p.services.web.ports = [6379]; };
    assert.deepEqual(errorsOf(shared), []);
    for (const runtime of ['docker', 'kubernetes']) {
      const pipeline = basePipeline();
      shared(pipeline);
      assert.deepEqual(validatePipeline(pipeline, 'p.orchest', { runtime }), [], runtime);
    }
  });
});
