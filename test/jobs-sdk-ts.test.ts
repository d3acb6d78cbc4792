/**
 * The TypeScript step SDK (src/sdk/services.ts): job runs read the run's pipeline file, interactive
 * sessions ask a real Berth server with a session-scoped token; every error says what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getParams, getPipelineParam, getService, getServices, getStepParam } from '../src/sdk/index.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { freePort } from './support/ports.ts';
import { tempDir } from './support/berth.ts';
import { startJobsServer, writeProject } from './jobs-support.ts';

const SID = '0f1e2d3c-4b5a-4697-8877-665544332211';

test('job runs: services scoped to noninteractive, Orchest shape, parameters, errors', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'p.orchest');
  await writeFile(
    file,
    JSON.stringify({
      uuid: 'p',
      name: 'p',
      version: '1.2.3',
      parameters: { greeting: 'hi' },
      steps: { s1: { uuid: 's1', title: 'S', file_path: 's.mjs', incoming_connections: [], environment: '', parameters: { n: 2 } } },
      services: {
        app: { name: 'app', image: 'x', scope: ['noninteractive'], ports: [8501], exposed: true, preserve_base_path: true, order: 0, args: '--base $BASE_PATH_PREFIX_8501' },
        lab: { name: 'lab', image: 'x', scope: ['interactive'], ports: [8888], exposed: true, order: 1 },
      },
    }),
  );
  const env = { ORCHEST_SESSION_TYPE: 'noninteractive', ORCHEST_SESSION_UUID: SID, ORCHEST_PIPELINE_PATH: file, ORCHEST_STEP_UUID: 's1', BERTH_RUNTIME: 'docker' };
  assert.deepEqual(await getService('app', { env }), {
    name: 'app',
    image: 'x',
    ports: [8501],
    exposed: true,
    preserve_base_path: true,
    order: 0,
    args: `--base pbp-service-app-${SID}_8501`,
    internal_hostname: `app-${SID}`,
    external_urls: { 8501: `http://{host_name}:{port}/pbp-service-app-${SID}_8501` },
    base_paths: { 8501: `/pbp-service-app-${SID}_8501` },
  });
  assert.deepEqual(Object.keys(await getServices({ env })), ['app']);
  assert.equal((await getService('app', { env: { ...env, BERTH_RUNTIME: 'local' } })).internal_hostname, '127.0.0.1');
  await assert.rejects(getService('lab', { env }), { code: 'BERTH_SDK_SERVICE_NOT_FOUND', message: 'Could not find service with name lab' });
  assert.deepEqual(await getParams({ env }), [{ n: 2 }, { greeting: 'hi' }]);
  assert.equal(await getStepParam('n', undefined, { env }), 2);
  assert.equal(await getStepParam('missing', 'dflt', { env }), 'dflt');
  assert.equal(await getPipelineParam('greeting', undefined, { env }), 'hi');
  await assert.rejects(getServices({ env: {} }), { code: 'BERTH_SDK_NO_SESSION', message: /ORCHEST_SESSION_TYPE is not set/ });
  await assert.rejects(getParams({ env: { ...env, ORCHEST_PIPELINE_PATH: `${file}.gone` } }), { code: 'BERTH_SDK_PIPELINE_NOT_FOUND' });
  await assert.rejects(getParams({ env: { ...env, ORCHEST_STEP_UUID: '' } }), { code: 'BERTH_SDK_STEP_UNKNOWN', message: /Parameters could not be identified/ });
});

test('interactive sessions: user_services from a real server with a session token; revoked token, unreachable server', async (t) => {
  const { server } = await startJobsServer(t);
  const dir = await tempDir(t, 'berth-project-');
  const port = await freePort();
  await writeProject({
    dir,
    file: 'live.orchest',
    services: { web: { image: 'python', command: 'python3', args: `-m http.server ${port} --bind 127.0.0.1`, ports: [port] } },
    steps: [],
  });
  const project = await server.projects.add(dir, 'live');
  const loaded = await loadPipelineFile(join(dir, 'live.orchest'));
  const session = await server.sessions.start({
    projectUuid: project.uuid,
    pipelinePath: 'live.orchest',
    spec: loaded.spec!,
    projectDir: dir,
    type: 'interactive',
    userEnv: {},
  });
  assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');
  const token = server.auth.issueSessionToken(session.uuid);
  const env = { ORCHEST_SESSION_TYPE: 'interactive', ORCHEST_SESSION_UUID: session.uuid, BERTH_API_URL: server.url, BERTH_SESSION_TOKEN: token };
  const web = await getService('web', { env });
  // 127.0.0.1 on host ports; Orchest's `<name>-<session uuid>` in an isolated session (docs/runtimes/local.md).
  assert.equal(web.internal_hostname, server.sessions.get(session.uuid).services.find((s) => s.name === 'web')?.internalHostname);
  assert.ok(['127.0.0.1', `web-${session.uuid}`].includes(web.internal_hostname), web.internal_hostname);
  assert.deepEqual(web.ports, [port]);
  assert.deepEqual(web.base_paths, { [port]: `/service-web-${session.uuid}_${port}` });
  assert.equal('scope' in web, false);

  server.auth.revokeSessionTokens(session.uuid);
  await assert.rejects(getServices({ env }), { code: 'BERTH_SDK_FORBIDDEN', message: /refused the request/ });
  const closed = `http://127.0.0.1:${await freePort()}`;
  await assert.rejects(getServices({ env: { ...env, BERTH_API_URL: closed } }), {
    code: 'BERTH_SDK_UNREACHABLE',
    message: `Failed to fetch data from ${closed}/api/sessions/${session.uuid}: the Berth server is unreachable`,
  });
});
