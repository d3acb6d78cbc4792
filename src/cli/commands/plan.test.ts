/** `berth plan`, run as users run it: the real executable on the example projects. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectUuidForPath } from '../../plan/index.ts';
import type { SdkServiceView, SessionPlan } from '../../plan/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TEMPLATES = 'examples/orchest-templates/services.orchest';
const LEGACY = 'examples/legacy/legacy.orchest';
const PROJECT_UUID = '766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function berth(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/berth.mjs', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface PlanJson {
  sourceVersion: string;
  migrated: boolean;
  plan: SessionPlan;
  sdk: Record<string, SdkServiceView>;
}

async function planJson(args: string[], env: Record<string, string> = {}): Promise<PlanJson> {
  const run = await berth(['plan', ...args, '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as PlanJson;
}

async function tempProject(t: { after: (fn: () => Promise<void>) => void }, services: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pipeline = { name: 'p', uuid: '0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f', version: '1.2.3', steps: {}, parameters: {}, settings: {}, services };
  await writeFile(join(dir, 'p.orchest'), JSON.stringify(pipeline, null, 4));
  return join(dir, 'p.orchest');
}

describe('berth plan', () => {
  test('the Orchest templates: names and URLs exactly as Orchest makes them', async () => {
    const { plan, sdk } = await planJson([TEMPLATES, '--project-uuid', PROJECT_UUID]);
    const sid = '766907b5-cb1e-4e6f6b0e4d2a-8f3c-4a51';
    assert.equal(plan.sessionUuid, sid);
    assert.deepEqual(
      plan.services.map((s) => [s.hostname, s.routes.map((r) => r.basePath)]),
      [
        [`tensorboard-${sid}`, [`/service-tensorboard-${sid}_6006`]],
        [`streamlit-${sid}`, [`/pbp-service-streamlit-${sid}_8501`]],
        [`vscode-${sid}`, [`/service-vscode-${sid}_8080`]],
        [`redis-${sid}`, [`/service-redis-${sid}_6379`]],
      ],
    );
    const streamlit = plan.services[1];
    assert.deepEqual(streamlit?.command, ['bash']);
    assert.deepEqual(streamlit?.args, ['-c', 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py']);
    assert.equal(streamlit?.env.find((e) => e.name === 'STREAMLIT_SERVER_BASE_URL_PATH')?.value, `pbp-service-streamlit-${sid}_8501`);
    assert.deepEqual(sdk.streamlit?.external_urls, { '8501': `http://{host_name}:{port}/pbp-service-streamlit-${sid}_8501` });
    assert.deepEqual(sdk.redis?.base_paths, { '6379': `/service-redis-${sid}_6379` });
    assert.equal(sdk.redis?.internal_hostname, `redis-${sid}`);
  });

  test('a job run: only noninteractive services, named after the run uuid', async () => {
    const run = 'd2b8e1f4-6a3c-4e7d-b5f9-0c1a2e3d4f56';
    const { plan } = await planJson([TEMPLATES, '--session-type', 'noninteractive', '--run-uuid', run]);
    assert.deepEqual(
      plan.services.map((s) => s.hostname),
      [`streamlit-${run}`, `redis-${run}`],
    );
  });

  test('defaults: project uuid from the real path, project dir = the file directory, data dir under BERTH_DATA_DIR', async (t) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'berth-state-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    const { plan } = await planJson([TEMPLATES], { BERTH_DATA_DIR: stateDir });
    const projectDir = await realpath(join(ROOT, 'examples/orchest-templates'));
    assert.equal(plan.projectUuid, projectUuidForPath(projectDir));
    assert.equal(plan.pipelinePath, 'services.orchest');
    assert.deepEqual(plan.services[1]?.mounts, [
      { source: 'data', hostPath: join(stateDir, 'data'), target: '/data' },
      { source: 'project', hostPath: projectDir, target: '/usr/src/app/src' },
    ]);
    assert.equal(plan.services[1]?.env.find((e) => e.name === 'ORCHEST_PIPELINE_PATH')?.value, '/usr/src/app/src/services.orchest');
  });

  test('the legacy 1.0.0 example: migrated command/args and guessed ports', async () => {
    const { plan, sourceVersion, migrated } = await planJson([LEGACY]);
    assert.equal(sourceVersion, '1.0.0');
    assert.equal(migrated, true);
    assert.deepEqual(
      plan.services.map((s) => ({ name: s.name, command: s.command, args: s.args, ports: s.ports, routes: s.routes })),
      [
        { name: 'streamlit', command: ['bash'], args: ['-c', 'umask 002 && streamlit run /usr/src/app/src/app.py'], ports: [8501], routes: [] },
        { name: 'redis', command: undefined, args: undefined, ports: [6379], routes: [] },
      ],
    );
  });

  test('inherited values are masked in both outputs; the human output lists argv, env, mounts, URLs and readiness', async (t) => {
    const file = await tempProject(t, {
      webapi: {
        name: 'webapi',
        image: 'python:3.12-slim',
        scope: ['interactive'],
        command: 'python3',
        args: '-m http.server 8000',
        env_variables: { MODE: 'dev' },
        env_variables_inherit: ['BERTH_PLAN_TEST_SECRET', 'UNSET'],
        ports: [8000],
        exposed: true,
        order: 1,
      },
    });
    const json = await berth(['plan', file, '--env', 'BERTH_PLAN_TEST_SECRET=hunter2', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, /hunter2/);
    const parsed = JSON.parse(json.stdout) as PlanJson;
    assert.deepEqual(parsed.plan.services[0]?.env.slice(0, 2), [
      { name: 'MODE', value: 'dev', source: 'service' },
      { name: 'BERTH_PLAN_TEST_SECRET', value: '********', source: 'inherited' },
    ]);

    const human = await berth(['plan', file, '--env', 'BERTH_PLAN_TEST_SECRET']);
    assert.equal(human.code, 2, 'not in the environment: a usage error');
    assert.match(human.stderr, /--env BERTH_PLAN_TEST_SECRET: BERTH_PLAN_TEST_SECRET is not set in your environment/);

    const text = await berth(['plan', file, '--env', 'BERTH_PLAN_TEST_SECRET'], { BERTH_PLAN_TEST_SECRET: 'hunter2' });
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, /hunter2/);
    const sid = parsed.plan.sessionUuid;
    for (const line of [
      `  hostname   webapi-${sid}`,
      '  argv       ["python3"] ["-m","http.server","8000"]',
      '    MODE=dev',
      '    BERTH_PLAN_TEST_SECRET=********  (inherited)',
      `    /service-webapi-${sid}_8000/ (prefix stripped, login required)`,
      `    sdk: http://{host_name}:{port}/service-webapi-${sid}_8000`,
      '  readiness  TCP port 8000 accepts connections within 60 s',
    ]) {
      assert.ok(text.stdout.includes(`${line}\n`), `expected the line ${JSON.stringify(line)} in:\n${text.stdout}`);
    }
    assert.match(text.stderr, /warning services\.webapi\.env_variables_inherit: UNSET is not defined/);
  });

  test('a file that cannot be planned exits 1 with the field path and the fix', async (t) => {
    const file = await tempProject(t, {
      bad: { name: 'bad', image: 'busybox', scope: ['interactive'], args: "-c 'echo", ports: [8000], exposed: false, order: 1 },
    });
    const run = await berth(['plan', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[BERTH_PLAN_ARGS_UNBALANCED\] p\.orchest: services\.bad\.args: the single quote at column 4 is never closed/);
    assert.match(run.stderr, /hint: add the closing '/);
  });

  test('an invalid file exits 1 with the spec diagnostics', async (t) => {
    const file = await tempProject(t, { Bad: { name: 'Bad', image: 'busybox', scope: ['interactive'], ports: [8000], exposed: false, order: 1 } });
    const run = await berth(['plan', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /services\.Bad\.name/);
    assert.match(run.stderr, /fix it and run berth plan again|fix them and run berth plan again/);
  });

  test('bad flags are usage errors (exit 2) that say what to pass', async () => {
    const type = await berth(['plan', TEMPLATES, '--session-type', 'job']);
    assert.equal(type.code, 2);
    assert.match(type.stderr, /--session-type must be interactive or noninteractive, not "job"/);
    const outside = await berth(['plan', TEMPLATES, '--project-dir', 'examples/legacy']);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /\[BERTH_CLI_FILE_OUTSIDE_PROJECT\] examples\/orchest-templates\/services\.orchest is not inside the project directory/);
  });
});
