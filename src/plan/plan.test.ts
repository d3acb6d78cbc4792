/** planSession: the Orchest rules of docs/orchest-compatibility.md, one behaviour per test. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffPlans, planSession, PlanError, sessionUuidFor } from './index.ts';
import type { ServicePlan, SessionPlan } from './index.ts';
import type { PipelineSpec, ServiceSpec } from '../spec/types.ts';
import { context, ENVIRONMENT_UUID, INTERACTIVE_SID, PIPELINE_UUID, PROJECT_UUID, RUN_UUID, templatesPipeline } from './fixtures.ts';

function service(plan: SessionPlan, name: string): ServicePlan {
  const found = plan.services.find((s) => s.name === name);
  assert.ok(found, `service ${name} is planned`);
  return found;
}

function withService(extra: Partial<ServiceSpec> & { name: string }): PipelineSpec {
  const spec = templatesPipeline();
  spec.services = { [extra.name]: { image: 'busybox', scope: ['interactive', 'noninteractive'], ports: [8000], exposed: true, order: 1, ...extra } };
  return spec;
}

function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PlanError, `expected a PlanError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a PlanError');
}

describe('session uuid, host names and routes', () => {
  test('interactive session uuid = project_uuid[:18] + pipeline_uuid[:18]', () => {
    assert.equal(sessionUuidFor(context()), '766907b5-cb1e-4e6f8c1a2b3c-1234-4abc');
    assert.equal(sessionUuidFor(context()), PROJECT_UUID.slice(0, 18) + PIPELINE_UUID.slice(0, 18));
  });

  test('names and URLs of the four templates are exactly what Orchest made', () => {
    const plan = planSession(templatesPipeline(), context());
    assert.equal(plan.sessionUuid, INTERACTIVE_SID);
    const redis = service(plan, 'redis');
    assert.equal(redis.hostname, 'redis-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc');
    assert.deepEqual(redis.routes, [
      {
        port: 6379,
        name: 'service-redis-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc_6379',
        basePath: '/service-redis-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc_6379',
        stripPrefix: true,
        requiresAuthentication: true,
      },
    ]);
    const streamlit = service(plan, 'streamlit');
    assert.deepEqual(
      streamlit.routes.map((r) => [r.basePath, r.stripPrefix]),
      [['/pbp-service-streamlit-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc_8501', false]],
    );
    assert.equal(service(plan, 'vscode').routes[0]?.basePath, '/service-vscode-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc_8080');
    assert.equal(service(plan, 'tensorboard').routes[0]?.basePath, '/service-tensorboard-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc_6006');
  });

  test('services are sorted by order, not by key', () => {
    assert.deepEqual(
      planSession(templatesPipeline(), context()).services.map((s) => s.name),
      ['tensorboard', 'streamlit', 'vscode', 'redis'],
    );
  });

  test('a service that is not exposed gets no route but keeps its host name', () => {
    const plan = planSession(withService({ name: 'db', exposed: false, ports: [5432] }), context());
    assert.deepEqual(service(plan, 'db').routes, []);
    assert.equal(service(plan, 'db').hostname, `db-${INTERACTIVE_SID}`);
  });

  test('one route per port; requires_authentication defaults to true and is carried to the route', () => {
    const plan = planSession(withService({ name: 'multi', ports: [8000, 9000], requires_authentication: false }), context());
    assert.deepEqual(
      service(plan, 'multi').routes.map((r) => [r.name, r.requiresAuthentication]),
      [
        [`service-multi-${INTERACTIVE_SID}_8000`, false],
        [`service-multi-${INTERACTIVE_SID}_9000`, false],
      ],
    );
    assert.equal(service(planSession(withService({ name: 'dflt' }), context()), 'dflt').requiresAuthentication, true);
  });

  test('host names stay <= 63 characters: a 26-character name fits exactly, a longer one is refused', () => {
    const longest = 'a'.repeat(26);
    const plan = planSession(withService({ name: longest }), context());
    assert.equal(service(plan, longest).hostname.length, 63);
    const jobPlan = planSession(withService({ name: longest }), context({ sessionType: 'noninteractive', runUuid: RUN_UUID }));
    assert.equal(service(jobPlan, longest).hostname.length, 63);
    const error = planError(() => planSession(withService({ name: 'a'.repeat(27) }), context()));
    assert.equal(error.code, 'BERTH_PLAN_HOSTNAME_INVALID');
    assert.match(error.message, /^services\.orchest: services\.a{27}\.name: the host name "a{27}-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc" \(64 characters\)/);
    assert.match(error.hint ?? '', /at most 26/);
    assert.equal(planError(() => planSession(withService({ name: 'Redis' }), context())).code, 'BERTH_PLAN_HOSTNAME_INVALID');
  });

  test('session uuids that would make invalid host names are refused', () => {
    const error = planError(() => sessionUuidFor(context({ sessionType: 'noninteractive', runUuid: 'Run_1' })));
    assert.equal(error.code, 'BERTH_PLAN_SESSION_UUID_INVALID');
    assert.match(error.message, /run uuid "Run_1"/);
  });
});

describe('job runs: scope filtering, session uuid = run uuid', () => {
  test('only services whose scope includes noninteractive run, named after the run uuid', () => {
    const plan = planSession(templatesPipeline(), context({ sessionType: 'noninteractive', runUuid: RUN_UUID }));
    assert.equal(plan.sessionUuid, RUN_UUID);
    assert.equal(plan.sessionType, 'noninteractive');
    assert.deepEqual(plan.services.map((s) => s.hostname), [`streamlit-${RUN_UUID}`, `redis-${RUN_UUID}`]);
    assert.equal(service(plan, 'streamlit').routes[0]?.basePath, `/pbp-service-streamlit-${RUN_UUID}_8501`);
    assert.equal(service(plan, 'redis').env.find((e) => e.name === 'ORCHEST_SESSION_TYPE')?.value, 'noninteractive');
  });

  test('interactive sessions leave out noninteractive-only services', () => {
    const spec = withService({ name: 'job-only', scope: ['noninteractive'] });
    assert.deepEqual(planSession(spec, context()).services, []);
  });

  test('a job run without its run uuid cannot be planned', () => {
    const error = planError(() => planSession(templatesPipeline(), context({ sessionType: 'noninteractive' })));
    assert.equal(error.code, 'BERTH_PLAN_RUN_UUID_MISSING');
    assert.match(error.hint ?? '', /--run-uuid/);
  });
});

describe('$BASE_PATH_PREFIX', () => {
  test('streamlit\'s "$BASE_PATH_PREFIX_8501" becomes its pbp route name without a leading slash', () => {
    const streamlit = service(planSession(templatesPipeline(), context()), 'streamlit');
    const value = streamlit.env.find((e) => e.name === 'STREAMLIT_SERVER_BASE_URL_PATH');
    assert.deepEqual(value, { name: 'STREAMLIT_SERVER_BASE_URL_PATH', value: `pbp-service-streamlit-${INTERACTIVE_SID}_8501`, source: 'service' });
    assert.equal(`/${value.value}`, streamlit.routes[0]?.basePath);
    assert.equal(streamlit.spec.env_variables?.STREAMLIT_SERVER_BASE_URL_PATH, `pbp-service-streamlit-${INTERACTIVE_SID}_8501`);
  });

  test('it is replaced in every field before argv and env are made, with service- when not pbp', () => {
    const spec = withService({
      name: 'app',
      command: '/opt/$BASE_PATH_PREFIX/run',
      args: "--base '/$BASE_PATH_PREFIX_8000/' --twice $BASE_PATH_PREFIX$BASE_PATH_PREFIX",
      binds: { '/data': '/mnt/$BASE_PATH_PREFIX' },
    });
    const app = service(planSession(spec, context()), 'app');
    const prefix = `service-app-${INTERACTIVE_SID}`;
    assert.deepEqual(app.command, [`/opt/${prefix}/run`]);
    assert.deepEqual(app.args, ['--base', `/${prefix}_8000/`, '--twice', `${prefix}${prefix}`]);
    assert.deepEqual(app.mounts, [{ source: 'data', hostPath: '/home/user/.berth/data', target: `/mnt/${prefix}` }]);
  });
});

describe('argv', () => {
  test('command is ONE element, args are split like a shell', () => {
    const vscode = service(planSession(templatesPipeline(), context()), 'vscode');
    assert.deepEqual(vscode.command, ['bash']);
    assert.deepEqual(vscode.args, ['-c', 'umask 002 && code-server --auth none --bind-addr 0.0.0.0:8080 /home/coder/code-server']);
  });

  test('a command with a space is not split (issue #1098) and a warning says so', () => {
    const plan = planSession(withService({ name: 'mlflow', command: 'mlflow server' }), context());
    assert.deepEqual(service(plan, 'mlflow').command, ['mlflow server']);
    assert.ok(plan.warnings.some((w) => w.startsWith('services.mlflow.command: "mlflow server" contains whitespace but runs as ONE executable')));
  });

  test('empty command and empty or blank args mean the image defaults', () => {
    const plan = planSession(withService({ name: 'img', command: '', args: '  ' }), context());
    assert.equal(service(plan, 'img').command, undefined);
    assert.equal(service(plan, 'img').args, undefined);
    const redis = service(planSession(templatesPipeline(), context()), 'redis');
    assert.equal('command' in redis, false);
    assert.equal('args' in redis, false);
  });

  test('unbalanced quotes in args fail with the field path, the column and the fix', () => {
    const error = planError(() => planSession(withService({ name: 'broken', args: "-c 'umask 002 && run" }), context()));
    assert.equal(error.code, 'BERTH_PLAN_ARGS_UNBALANCED');
    assert.equal(error.message, "services.orchest: services.broken.args: the single quote at column 4 is never closed: -c 'umask 002 && run");
    assert.equal(error.hint, "add the closing ', or escape a literal quote (\\' outside quotes)");
    assert.deepEqual(error.details, { path: 'services.broken.args', column: 4 });
  });

  test('a trailing backslash fails with its own code', () => {
    const error = planError(() => planSession(withService({ name: 'broken', args: 'run \\' }), context()));
    assert.equal(error.code, 'BERTH_PLAN_ARGS_TRAILING_ESCAPE');
    assert.match(error.message, /services\.broken\.args: the backslash at column 5/);
  });
});

describe('environment variables', () => {
  test('service vars < inherited vars < ORCHEST_*; a listed but undefined var is skipped with a warning', () => {
    const spec = withService({ name: 'api', env_variables: { A: 'service', B: 'service' }, env_variables_inherit: ['B', 'C', 'MISSING'] });
    const plan = planSession(spec, context({ userEnv: { B: 'inherited-b', C: 'inherited-c', OTHER: 'not listed' } }));
    assert.deepEqual(
      service(plan, 'api').env.map((e) => [e.name, e.value, e.source]),
      [
        ['A', 'service', 'service'],
        ['B', 'inherited-b', 'inherited'],
        ['C', 'inherited-c', 'inherited'],
        ['ORCHEST_PROJECT_UUID', PROJECT_UUID, 'orchest'],
        ['ORCHEST_PIPELINE_UUID', PIPELINE_UUID, 'orchest'],
        ['ORCHEST_PIPELINE_PATH', '/pipeline.json', 'orchest'],
        ['ORCHEST_SESSION_UUID', INTERACTIVE_SID, 'orchest'],
        ['ORCHEST_SESSION_TYPE', 'interactive', 'orchest'],
      ],
    );
    assert.deepEqual(plan.warnings, [
      'services.api.env_variables_inherit: MISSING is not defined in the project or pipeline env vars, so the service starts without it; define it (`berth env set PROJECT MISSING=VALUE`) or remove it from the list',
    ]);
  });

  test('ORCHEST_* cannot be shadowed by a service var nor an inherited one', () => {
    const spec = withService({ name: 'sneaky', env_variables: { ORCHEST_SESSION_UUID: 'mine' }, env_variables_inherit: ['ORCHEST_PROJECT_UUID'] });
    const plan = planSession(spec, context({ userEnv: { ORCHEST_PROJECT_UUID: 'also mine' } }));
    const env = service(plan, 'sneaky').env;
    assert.deepEqual(env.filter((e) => e.source !== 'orchest'), []);
    assert.equal(env.find((e) => e.name === 'ORCHEST_SESSION_UUID')?.value, INTERACTIVE_SID);
    assert.equal(env.find((e) => e.name === 'ORCHEST_PROJECT_UUID')?.value, PROJECT_UUID);
    assert.deepEqual(plan.warnings, [
      "services.sneaky.env_variables_inherit: ORCHEST_PROJECT_UUID is set by Berth for the Orchest SDK and cannot be overridden; the service's value is ignored (rename the variable)",
      "services.sneaky.env_variables: ORCHEST_SESSION_UUID is set by Berth for the Orchest SDK and cannot be overridden; the service's value is ignored (rename the variable)",
    ]);
  });

  test("ORCHEST_PIPELINE_PATH points at the project-dir bind's copy of the file when there is one", () => {
    const plan = planSession(templatesPipeline(), context({ pipelinePath: 'sub/services.orchest' }));
    const path = (name: string) => service(plan, name).env.find((e) => e.name === 'ORCHEST_PIPELINE_PATH')?.value;
    assert.equal(path('streamlit'), '/usr/src/app/src/sub/services.orchest');
    assert.equal(path('vscode'), '/home/coder/code-server/sub/services.orchest');
    assert.equal(path('redis'), '/pipeline.json');
  });
});

describe('mounts, images, readiness, labels', () => {
  test('binds become mounts of the project and data directories, /data first', () => {
    const plan = planSession(templatesPipeline(), context());
    assert.deepEqual(service(plan, 'streamlit').mounts, [
      { source: 'data', hostPath: '/home/user/.berth/data', target: '/data' },
      { source: 'project', hostPath: '/home/user/projects/services', target: '/usr/src/app/src' },
    ]);
    assert.deepEqual(service(plan, 'redis').mounts, []);
  });

  test('a bind source other than /data and /project-dir is refused', () => {
    const spec = withService({ name: 'odd', binds: { '/etc': '/host-etc' } as ServiceSpec['binds'] });
    const error = planError(() => planSession(spec, context()));
    assert.equal(error.code, 'BERTH_PLAN_BIND_UNKNOWN');
    assert.equal(error.message, 'services.orchest: services.odd.binds: "/etc" is not a bind source');
    assert.equal(error.hint, 'only /data and /project-dir can be bound (Orchest allowed no others)');
  });

  test('environment@<uuid> runs the pinned image; an unbuilt environment says how to build it', () => {
    const spec = withService({ name: 'env', image: `environment@${ENVIRONMENT_UUID}` });
    const pinned = service(planSession(spec, context({ environmentImages: { [ENVIRONMENT_UUID]: 'berth-env-x:7' } })), 'env');
    assert.equal(pinned.image, 'berth-env-x:7');
    assert.equal(pinned.environmentUuid, ENVIRONMENT_UUID);
    assert.equal(pinned.spec.image, `environment@${ENVIRONMENT_UUID}`);
    const error = planError(() => planSession(spec, context()));
    assert.equal(error.code, 'BERTH_PLAN_ENVIRONMENT_NOT_BUILT');
    assert.equal(error.message, `services.orchest: services.env.image: environment ${ENVIRONMENT_UUID} has no built image, so "environment@${ENVIRONMENT_UUID}" cannot run`);
    assert.equal(error.hint, `build it first: berth env-image build PROJECT ${ENVIRONMENT_UUID}`);
  });

  test('readiness defaults to TCP on every port within 60 s, polled every 100 ms', () => {
    const plan = planSession(withService({ name: 'two', ports: [8000, 8001] }), context());
    assert.deepEqual(service(plan, 'two').readiness, { type: 'port', ports: [8000, 8001], timeoutMs: 60_000, intervalMs: 100 });
  });

  test('http readiness defaults: first port, `/` (the base path with pbp), statuses 200-399', () => {
    const plain = service(planSession(withService({ name: 'web', ports: [8000, 9000], readiness: { type: 'http', timeout_seconds: 5 } }), context()), 'web').readiness;
    assert.equal(plain.type, 'http');
    assert.equal(plain.port, 8000);
    assert.equal(plain.path, '/');
    assert.equal(plain.timeoutMs, 5000);
    assert.equal(plain.status.length, 200);
    assert.deepEqual([plain.status[0], plain.status.at(-1)], [200, 399]);
    const pbp = service(planSession(withService({ name: 'web', preserve_base_path: true, readiness: { type: 'http', port: 8000, status: [204] } }), context()), 'web').readiness;
    assert.equal(pbp.type, 'http');
    assert.equal(pbp.path, `/pbp-service-web-${INTERACTIVE_SID}_8000/`);
    assert.deepEqual(pbp.status, [204]);
  });

  test('labels carry installation, project, pipeline, session and service', () => {
    const redis = service(planSession(templatesPipeline(), context()), 'redis');
    assert.deepEqual(redis.labels, {
      'berth.installation': 'golden-install',
      'berth.project': PROJECT_UUID,
      'berth.pipeline': PIPELINE_UUID,
      'berth.session': INTERACTIVE_SID,
      'berth.service': 'redis',
    });
  });

  test('depends_on: out-of-scope dependencies are dropped with a warning, cycles are refused', () => {
    const spec = templatesPipeline();
    spec.services = {
      a: { name: 'a', image: 'x', scope: ['interactive', 'noninteractive'], ports: [1], exposed: false, order: 1, depends_on: ['b'] },
      b: { name: 'b', image: 'x', scope: ['interactive'], ports: [2], exposed: false, order: 2 },
    };
    const job = planSession(spec, context({ sessionType: 'noninteractive', runUuid: RUN_UUID }));
    assert.deepEqual(service(job, 'a').dependsOn, []);
    assert.match(job.warnings[0] ?? '', /^services\.a\.depends_on: b does not run in noninteractive sessions/);
    assert.deepEqual(service(planSession(spec, context()), 'a').dependsOn, ['b']);
    (spec.services.b as ServiceSpec).depends_on = ['a'];
    const error = planError(() => planSession(spec, context()));
    assert.equal(error.code, 'BERTH_PLAN_DEPENDENCY_CYCLE');
    assert.match(error.message, /a -> b -> a/);
  });

  test('planning does not modify the spec it is given', () => {
    const spec = templatesPipeline();
    planSession(spec, context());
    assert.deepEqual(spec, templatesPipeline());
  });
});

describe('specHash and diffPlans (apply restarts only what changed)', () => {
  function reversedKeys<T>(value: T): T {
    if (Array.isArray(value)) return value.map(reversedKeys) as T;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)])) as T;
    return value;
  }

  test('the hash does not depend on key order in the file', () => {
    const a = planSession(templatesPipeline(), context());
    const b = planSession(reversedKeys(templatesPipeline()), context());
    assert.deepEqual(
      a.services.map((s) => s.specHash),
      b.services.map((s) => s.specHash),
    );
    assert.match(a.services[0]?.specHash ?? '', /^[0-9a-f]{64}$/);
  });

  test('added, removed, changed and unchanged by name and hash; `order` alone changes nothing', () => {
    const before = planSession(templatesPipeline(), context());
    const edited = templatesPipeline();
    const services = edited.services as Record<string, ServiceSpec>;
    delete services.tensorboard;
    (services.redis as ServiceSpec).args = '--appendonly yes';
    (services.vscode as ServiceSpec).order = 10;
    services.db = { name: 'db', image: 'postgres', scope: ['interactive'], ports: [5432], exposed: false, order: 11 };
    const after = planSession(edited, context());
    assert.deepEqual(diffPlans(before, after), { added: ['db'], removed: ['tensorboard'], changed: ['redis'], unchanged: ['streamlit', 'vscode'] });
  });

  test('an inherited value, the pinned image or exposure change the hash', () => {
    const spec = withService({ name: 'app', image: `environment@${ENVIRONMENT_UUID}`, env_variables_inherit: ['TOKEN'] });
    const base = context({ userEnv: { TOKEN: 'a' }, environmentImages: { [ENVIRONMENT_UUID]: 'img:1' } });
    const hash = (s: PipelineSpec, c = base) => service(planSession(s, c), 'app').specHash;
    const original = hash(spec);
    assert.notEqual(hash(spec, { ...base, userEnv: { TOKEN: 'b' } }), original);
    assert.notEqual(hash(spec, { ...base, environmentImages: { [ENVIRONMENT_UUID]: 'img:2' } }), original);
    const hidden = withService({ name: 'app', image: `environment@${ENVIRONMENT_UUID}`, env_variables_inherit: ['TOKEN'], exposed: false });
    assert.notEqual(hash(hidden), original);
    assert.equal(hash(spec), original);
  });
});
