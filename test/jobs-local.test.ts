/**
 * Jobs on the local runtime, end to end with real programs: a Redis service and two steps (a
 * Python script and a notebook) that find it with `orchest.get_service` and read their parameters;
 * a failing step; cancel mid-run; failed services; and an interactive run of selected steps.
 * After every job run, no process of its session is left.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseParameterAssignments, type Jobs, type RunView } from '../src/jobs/index.ts';
import { freePort } from './support/ports.ts';
import { pidsWithEnv } from './support/processes.ts';
import { tempDir } from './support/berth.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';
import { stepHostname } from './support/service-reach.ts';
import { assertStepsStartedAfterServicesReady, notebook, RESP_PY, startJobsServer, writeProject } from './jobs-support.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import type { PipelineSpec } from '../src/spec/types.ts';

/** Loads a pipeline of a test project (what the server's Projects does, without its lookup). */
async function loadSpec(projectDir: string, path: string): Promise<{ path: string; spec: PipelineSpec }> {
  const loaded = await loadPipelineFile(join(projectDir, path));
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  return { path, spec: loaded.spec };
}

const redis = commandRequirement('redis-server', 'apt-get install redis-server');
const nbconvert = {
  ok: existsSync('/usr/bin/python3') && !(await import('node:child_process')).spawnSync('/usr/bin/python3', ['-c', 'import nbconvert, ipykernel']).status,
  what: "Debian's python3 with nbconvert and ipykernel",
  fix: 'apt-get install python3-nbconvert python3-ipykernel',
};

async function createJob(
  jobs: Jobs,
  server: Awaited<ReturnType<typeof startJobsServer>>['server'],
  project: string,
  pipeline: string,
  options: { params?: string[]; env?: Record<string, string> } = {},
) {
  const record = server.projects.get(project);
  const loaded = await loadSpec(record.path, pipeline);
  return jobs.createJob({
    projectUuid: record.uuid,
    pipelinePath: loaded.path,
    spec: loaded.spec,
    parameters: parseParameterAssignments(options.params ?? [], loaded.spec),
    env: options.env ?? {},
  });
}

function describeRun(run: RunView): string {
  return JSON.stringify({ status: run.status, reason: run.reason, steps: run.steps.map((s) => [s.title, s.status, s.reason]) }, null, 2);
}

async function waitForStep(jobs: Jobs, runUuid: string, title: string, status: string, logContains: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const run = jobs.getRun(runUuid);
    const step = run.steps.find((s) => s.title === title);
    if (step?.status === status && (await readFile(step.logFile, 'utf8').catch(() => '')).includes(logContains)) return;
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) throw new Error(`run ended before step ${title} was ${status}: ${describeRun(run)}`);
    await sleep(100);
  }
  throw new Error(`step ${title} not ${status} within 60 s`);
}

describe('jobs on the local runtime', () => {
  test('a job with a Redis service: a script and a notebook use orchest.get_service and their parameters; nothing is left after', skipUnless(redis, nbconvert), async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-job-project-');
    const port = await freePort();
    const { stepUuids } = await writeProject({
      dir,
      file: 'etl.orchest',
      parameters: { greeting: 'hello' },
      services: { redis: { image: 'redis', ports: [port], scope: ['noninteractive'] } },
      extraFiles: { 'resp.py': RESP_PY },
      steps: [
        {
          title: 'Write',
          file: 'write.py',
          parameters: { key: 'default-key' },
          source: [
            'import json, os, orchest',
            'from resp import command',
            'redis = orchest.get_service("redis")',
            'step, pipeline = orchest.parameters.get_params()',
            'print("SET", command(redis["internal_hostname"], redis["ports"][0], "SET", step["key"], pipeline["greeting"]))',
            'json.dump({k: v for k, v in os.environ.items() if k.startswith(("ORCHEST_", "BERTH_", "SECRET"))}, open("env.json", "w"))',
            'json.dump(orchest.get_services(), open("services.json", "w"))',
          ].join('\n'),
        },
        {
          title: 'Read',
          file: 'read.ipynb',
          after: ['Write'],
          parameters: { key: 'default-key' },
          source: notebook(
            'import orchest\nfrom resp import command\nredis = orchest.get_service("redis")\nkey = orchest.get_step_param("key")',
            'value = command(redis["internal_hostname"], redis["ports"][0], "GET", key)\nassert value == orchest.get_pipeline_param("greeting"), value\nprint("read back:", value)\nopen("result.txt", "w").write(value)',
          ),
        },
      ],
    });
    await client.addProject(dir, 'etl');
    await client.setEnv('etl', 'SECRET_TOKEN', 'from-project');
    const job = await createJob(jobs, server, 'etl', 'etl.orchest', {
      params: ['greeting=hola', 'Write.key=berth:job', `${stepUuids.Read}.key=berth:job`],
      env: { ORCHEST_STEP_UUID: 'spoofed', SECRET_EXTRA: 'from-job' },
    });
    assert.deepEqual(job.services, ['redis']);
    assert.deepEqual(job.env.map((e) => e.name).sort(), ['ORCHEST_STEP_UUID', 'SECRET_EXTRA', 'SECRET_TOKEN'], 'env values are not shown');

    const started = await jobs.startRun(job.uuid);
    const run = await jobs.waitRun(started.uuid, 120_000);
    assert.equal(run.status, 'succeeded', describeRun(run));
    assert.deepEqual(run.steps.map((s) => [s.title, s.status, s.exitCode]), [['Write', 'succeeded', 0], ['Read', 'succeeded', 0]]);
    assert.ok(run.steps.every((s) => s.durationMs !== null && s.startedAt && s.finishedAt));
    assertStepsStartedAfterServicesReady(run, ['redis']);
    assert.match(await readFile(run.steps[0]!.logFile, 'utf8'), /SET \+OK/);

    const copy = join(run.runDir, 'project');
    assert.equal(await readFile(join(copy, 'result.txt'), 'utf8'), 'hola', 'the notebook read what the script wrote, with the job parameter');
    const executed = JSON.parse(await readFile(join(copy, 'read.ipynb'), 'utf8'));
    assert.match(JSON.stringify(executed.cells[1].outputs), /read back: hola/, 'the executed notebook is kept in the run copy');
    const env = JSON.parse(await readFile(join(copy, 'env.json'), 'utf8')) as Record<string, string>;
    assert.equal(env.ORCHEST_STEP_UUID, stepUuids.Write, 'job env vars never shadow ORCHEST_*');
    assert.equal(env.ORCHEST_SESSION_UUID, run.uuid);
    assert.equal(env.ORCHEST_SESSION_TYPE, 'noninteractive');
    assert.equal(env.ORCHEST_PIPELINE_PATH, join(copy, 'etl.orchest'));
    assert.equal(env.SECRET_TOKEN, 'from-project');
    assert.equal(env.SECRET_EXTRA, 'from-job');
    assert.equal(env.BERTH_RUNTIME, 'local');
    const services = JSON.parse(await readFile(join(copy, 'services.json'), 'utf8'));
    assert.deepEqual(services.redis.base_paths, { [port]: `/service-redis-${run.uuid}_${port}` });
    assert.equal(services.redis.internal_hostname, stepHostname(server, 'redis', run.uuid));
    const runFile = JSON.parse(await readFile(join(copy, 'etl.orchest'), 'utf8'));
    assert.equal(runFile.parameters.greeting, 'hola', "the run's pipeline file carries the job's parameters");
    assert.equal(JSON.parse(await readFile(join(dir, 'etl.orchest'), 'utf8')).parameters.greeting, 'hello', 'the project file is untouched');

    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', run.uuid), [], 'no process of the run session is left');
    assert.equal(server.sessions.find(run.uuid)?.status, 'stopped');
    assert.ok(run.services.every((s) => s.status === 'stopped'), JSON.stringify(run.services));
  });

  test('a failing step fails the run, its dependents are skipped, independent steps run, services are torn down', async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-job-project-');
    const port = await freePort();
    await writeProject({
      dir,
      file: 'fail.orchest',
      services: { web: { image: 'python', command: 'python3', args: `-m http.server ${port} --bind 127.0.0.1`, ports: [port] } },
      steps: [
        { title: 'Boom', file: 'boom.sh', source: 'echo "about to fail" >&2\nexit 3\n' },
        { title: 'After boom', file: 'after.py', after: ['Boom'], source: 'open("after.txt", "w").write("ran")\n' },
        { title: 'Independent', file: 'independent.mjs', source: 'import { writeFileSync } from "node:fs";\nwriteFileSync("independent.txt", "ran");\n' },
      ],
    });
    await client.addProject(dir, 'fail');
    const job = await createJob(jobs, server, 'fail', 'fail.orchest');
    const run = await jobs.waitRun((await jobs.startRun(job.uuid)).uuid, 120_000);
    assert.equal(run.status, 'failed', describeRun(run));
    assert.equal(run.reason, 'step "Boom" exited with code 3');
    const byTitle = Object.fromEntries(run.steps.map((s) => [s.title, s]));
    assert.equal(byTitle.Boom!.status, 'failed');
    assert.equal(byTitle.Boom!.exitCode, 3);
    assert.equal(byTitle['After boom']!.status, 'skipped');
    assert.equal(byTitle['After boom']!.reason, 'not run: it depends on "Boom", which did not succeed');
    assert.equal(byTitle.Independent!.status, 'succeeded');
    assert.match(await readFile(byTitle.Boom!.logFile, 'utf8'), /about to fail/);
    assert.equal(existsSync(join(run.runDir, 'project', 'after.txt')), false);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', run.uuid), [], 'the service is torn down after a failure');
  });

  test('cancel mid-run kills the running step, skips the rest and stops the services', async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-job-project-');
    const port = await freePort();
    await writeProject({
      dir,
      file: 'slow.orchest',
      services: { web: { image: 'python', command: 'python3', args: `-m http.server ${port} --bind 127.0.0.1`, ports: [port] } },
      steps: [
        { title: 'Slow', file: 'slow.py', source: 'import time\nprint("started", flush=True)\ntime.sleep(120)\n' },
        { title: 'Next', file: 'next.py', after: ['Slow'], source: 'print("never")\n' },
      ],
    });
    await client.addProject(dir, 'slow');
    const job = await createJob(jobs, server, 'slow', 'slow.orchest');
    const { uuid } = await jobs.startRun(job.uuid);
    await waitForStep(jobs, uuid, 'Slow', 'running', 'started');
    assert.ok(pidsWithEnv('ORCHEST_SESSION_UUID', uuid).length >= 2, 'the service and the step run');
    const cancelled = await jobs.cancelRun(uuid);
    assert.equal(cancelled.status, 'cancelled', describeRun(cancelled));
    assert.deepEqual(cancelled.steps.map((s) => [s.title, s.status]), [['Slow', 'cancelled'], ['Next', 'skipped']]);
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', uuid), [], 'the step and the service are gone');
    await assert.rejects(jobs.cancelRun(uuid), { code: 'BERTH_JOB_RUN_NOT_RUNNING', message: `run ${uuid} already cancelled` });
  });

  test('a service that cannot start fails the run with its reason; no step runs', async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-job-project-');
    await writeProject({
      dir,
      file: 'broken.orchest',
      services: { broken: { image: 'x', command: 'no-such-program-berth', ports: [await freePort()] } },
      steps: [{ title: 'Never', file: 'never.py', source: 'print("never")\n' }],
    });
    await client.addProject(dir, 'broken');
    const job = await createJob(jobs, server, 'broken', 'broken.orchest');
    const run = await jobs.waitRun((await jobs.startRun(job.uuid)).uuid, 120_000);
    assert.equal(run.status, 'failed');
    assert.match(run.reason ?? '', /^the run's services did not start: service broken failed: .*no-such-program-berth/);
    assert.equal(run.steps[0]!.status, 'skipped');
    assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', run.uuid), []);
  });

  test('interactive run: selected steps run in the live project inside the running session and reach its services through the API', async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-project-');
    const port = await freePort();
    const { stepUuids } = await writeProject({
      dir,
      file: 'live.orchest',
      parameters: { answer: 42 },
      services: {
        web: {
          image: 'python',
          command: 'python3',
          args: `-m http.server ${port} --bind 127.0.0.1 --directory /project-dir`,
          binds: { '/project-dir': '/project-dir' },
          ports: [port],
        },
      },
      steps: [
        { title: 'First', file: 'first.py', source: 'open("first.txt", "w").write("ran")\n' },
        {
          title: 'Second',
          file: 'second.py',
          after: ['First'],
          source: [
            'import json, os, urllib.request, orchest',
            'web = orchest.get_service("web")',
            'body = urllib.request.urlopen("http://%s:%d/second.py" % (web["internal_hostname"], web["ports"][0])).read()',
            'json.dump({"type": os.environ["ORCHEST_SESSION_TYPE"], "answer": orchest.get_pipeline_param("answer"), "fetched": len(body) > 0, "base_paths": web["base_paths"]}, open("second.json", "w"))',
          ].join('\n'),
        },
        {
          title: 'Node',
          file: 'node-step.mts',
          source: [
            "import { writeFileSync } from 'node:fs';",
            'const sdk = await import(process.env.BERTH_SDK_TS!);',
            "const web = await sdk.getService('web');",
            "const answer: unknown = await sdk.getPipelineParam('answer');",
            "writeFileSync('node.json', JSON.stringify({ host: web.internal_hostname, answer }));",
          ].join('\n'),
        },
      ],
    });
    await client.addProject(dir, 'live');
    const record = server.projects.get('live');
    const loaded = await loadSpec(record.path, 'live.orchest');
    await assert.rejects(
      jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: loaded.path, spec: loaded.spec }),
      (error: Error & { code?: string; hint?: string }) => {
        assert.equal(error.code, 'BERTH_JOB_SESSION_NOT_RUNNING');
        assert.equal(error.message, 'no interactive session of live.orchest is running in project "live"');
        assert.match(error.hint ?? '', /berth session start live live\.orchest/);
        return true;
      },
    );
    const session = await server.sessions.start({
      projectUuid: record.uuid,
      pipelinePath: loaded.path,
      spec: loaded.spec,
      projectDir: record.path,
      type: 'interactive',
      userEnv: server.store.mergedEnvVars(record.uuid, loaded.spec.uuid),
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');

    const started = await jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: loaded.path, spec: loaded.spec, stepIds: ['Second', 'Node'] });
    assert.equal(started.type, 'interactive');
    assert.equal(started.sessionUuid, session.uuid);
    const run = await jobs.waitRun(started.uuid, 60_000);
    assert.equal(run.status, 'succeeded', `${describeRun(run)}\n${await readFile(run.steps[0]!.logFile, 'utf8').catch(() => '')}`);
    assert.deepEqual(run.steps.map((s) => s.stepUuid).sort(), [stepUuids.Second, stepUuids.Node].sort(), 'only the selected steps ran');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'node.json'), 'utf8')), { host: stepHostname(server, 'web', session.uuid), answer: 42 }, 'a TypeScript step used the TS SDK');
    assert.equal(existsSync(join(dir, 'first.txt')), false);
    const result = JSON.parse(await readFile(join(dir, 'second.json'), 'utf8'));
    assert.deepEqual(result, { type: 'interactive', answer: 42, fetched: true, base_paths: { [port]: `/service-web-${session.uuid}_${port}` } });
    assert.equal((await client.getSession(session.uuid)).session.status, 'running', 'an interactive run leaves its session running');
  });
});
