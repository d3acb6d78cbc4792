/** What other layers show or look up: SDK view (orchest-compatibility.md: The SDK's get_service), URL paths (orchest-compatibility.md: URLs and the proxy), masking, uuids. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { maskEnv, planSession, projectUuidForPath, routeNameFromPath, sdkServiceView, serviceUrlPaths } from './index.ts';
import type { ServicePlan } from './index.ts';
import { context, INTERACTIVE_SID, templatesPipeline } from './fixtures.ts';
import { commandRequirement, skipUnless } from '../../test/support/requirements.ts';

function planned(name: string): ServicePlan {
  const found = planSession(templatesPipeline(), context({ userEnv: { TOKEN: 'secret' } })).services.find((s) => s.name === name);
  assert.ok(found);
  return found;
}

describe('sdkServiceView: the shape of orchest.get_service(name)', () => {
  test('streamlit: substituted spec minus scope, plus internal_hostname, external_urls and base_paths keyed by port', () => {
    const view = sdkServiceView(planned('streamlit'));
    assert.deepEqual(JSON.parse(JSON.stringify(view)), {
      binds: { '/data': '/data', '/project-dir': '/usr/src/app/src' },
      args: "-c 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py'",
      command: 'bash',
      env_variables: { STREAMLIT_SERVER_BASE_URL_PATH: `pbp-service-streamlit-${INTERACTIVE_SID}_8501` },
      exposed: true,
      requires_authentication: true,
      image: 'orchest/streamlit',
      name: 'streamlit',
      ports: [8501],
      preserve_base_path: true,
      order: 2,
      internal_hostname: `streamlit-${INTERACTIVE_SID}`,
      external_urls: { '8501': `http://{host_name}:{port}/pbp-service-streamlit-${INTERACTIVE_SID}_8501` },
      base_paths: { '8501': `/pbp-service-streamlit-${INTERACTIVE_SID}_8501` },
    });
    assert.equal('scope' in view, false);
  });

  test('redis: service- prefix, the runtime may give its own internal host name', () => {
    const view = sdkServiceView(planned('redis'), 'localhost');
    assert.equal(view.internal_hostname, 'localhost');
    assert.deepEqual(view.external_urls, { '6379': `http://{host_name}:{port}/service-redis-${INTERACTIVE_SID}_6379` });
    assert.deepEqual(view.base_paths, { '6379': `/service-redis-${INTERACTIVE_SID}_6379` });
  });

  test('URLs are listed for services that are not exposed, as Orchest did', () => {
    const spec = templatesPipeline();
    (spec.services as Record<string, { exposed: boolean }>).redis!.exposed = false;
    const redis = planSession(spec, context()).services.find((s) => s.name === 'redis')!;
    assert.deepEqual(Object.keys(sdkServiceView(redis).base_paths), ['6379']);
  });
});

describe('URL paths for the proxy and the UI', () => {
  test('serviceUrlPaths gives the route, the link with its trailing slash and the SDK URL', () => {
    assert.deepEqual(serviceUrlPaths(planned('streamlit')), [
      {
        port: 8501,
        routeName: `pbp-service-streamlit-${INTERACTIVE_SID}_8501`,
        basePath: `/pbp-service-streamlit-${INTERACTIVE_SID}_8501`,
        path: `/pbp-service-streamlit-${INTERACTIVE_SID}_8501/`,
        externalUrl: `http://{host_name}:{port}/pbp-service-streamlit-${INTERACTIVE_SID}_8501`,
        exposed: true,
      },
    ]);
  });

  test('routeNameFromPath takes the first segment of service paths only', () => {
    assert.equal(routeNameFromPath(`/service-redis-${INTERACTIVE_SID}_6379/x/y?q=1`), `service-redis-${INTERACTIVE_SID}_6379`);
    assert.equal(routeNameFromPath(`/pbp-service-st-${INTERACTIVE_SID}_8501`), `pbp-service-st-${INTERACTIVE_SID}_8501`);
    assert.equal(routeNameFromPath(`/service-redis-${INTERACTIVE_SID}_6379?x`), `service-redis-${INTERACTIVE_SID}_6379`);
    assert.equal(routeNameFromPath('/api/sessions'), undefined);
    assert.equal(routeNameFromPath('/service-redis'), undefined);
  });
});

describe('maskEnv', () => {
  test('inherited values are masked; service and ORCHEST_* values are shown', () => {
    const spec = templatesPipeline();
    const redis = spec.services!.redis!;
    redis.env_variables = { MODE: 'cache' };
    redis.env_variables_inherit = ['TOKEN'];
    const plan = planSession(spec, context({ userEnv: { TOKEN: 'secret' } }));
    const env = plan.services.find((s) => s.name === 'redis')!.env;
    const masked = maskEnv(env);
    assert.deepEqual(masked.slice(0, 3), [
      { name: 'MODE', value: 'cache', source: 'service' },
      { name: 'TOKEN', value: '********', source: 'inherited' },
      { name: 'ORCHEST_PROJECT_UUID', value: context().projectUuid, source: 'orchest' },
    ]);
    assert.equal(env[1]?.value, 'secret', 'the plan itself keeps the value');
  });
});

describe('projectUuidForPath', () => {
  const python = commandRequirement('python3', 'install Python 3 (Debian: apt-get install python3)');
  test('is uuid5(NAMESPACE_URL, "file://" + path), as Python computes it', skipUnless(python), () => {
    const path = '/home/user/projects/ünïcode dir';
    const run = spawnSync('python3', ['-c', 'import sys,uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "file://" + sys.argv[1]))', path], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(projectUuidForPath(path), run.stdout.trim());
    assert.notEqual(projectUuidForPath('/a'), projectUuidForPath('/b'));
  });
});
