/**
 * The jobs API (src/server/routes/jobs.ts) and the `berth job|run|pipeline` commands against it:
 * create with --param/--env, run with --wait (progress per step), status, logs, errors users see.
 * The routes are mounted on their own Fastify app next to a test server's parts until the lead
 * wires them into src/server/app.ts (then the server's own routes answer the same way).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { BerthError, toBerthError } from '../src/shared/index.ts';
import { BerthClient } from '../src/sdk/client.ts';
import { registerJobRoutes } from '../src/server/routes/jobs.ts';
import { statusForError } from '../src/server/errors.ts';
import { pidsWithEnv } from './support/processes.ts';
import { tempDir } from './support/berth.ts';
import { startJobsServer, writeProject } from './jobs-support.ts';

async function jobsApi(t: Parameters<typeof startJobsServer>[0]) {
  const base = await startJobsServer(t);
  const wired = (base.server as unknown as { jobs?: unknown }).jobs !== undefined;
  if (wired) return { ...base, url: base.server.url };
  const app = Fastify();
  app.setErrorHandler(function testErrorHandler(error, _request, reply) {
    const berthError = error instanceof BerthError ? error : toBerthError(error);
    void reply.code(error instanceof BerthError ? statusForError(berthError) : 500).send({ error: berthError.toJSON() });
  });
  registerJobRoutes(app, { store: base.server.store, projects: base.server.projects, jobs: base.jobs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { ...base, url, client: new BerthClient({ url, token: base.token }) };
}

function berth(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/berth.mjs', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('jobs API and CLI: create with parameters and env, run with --wait, status, logs, and the errors users see', async (t) => {
  const { client, url, token, server } = await jobsApi(t);
  const dir = await tempDir(t, 'berth-job-project-');
  await writeProject({
    dir,
    file: 'hello.orchest',
    parameters: { greeting: 'hello' },
    steps: [
      {
        title: 'Hello',
        file: 'hello.py',
        parameters: { name: 'world' },
        source: 'import orchest, os\nstep, pipeline = orchest.get_params()\nprint(pipeline["greeting"], step["name"], os.environ["WHO"])\n',
      },
      { title: 'Fail', file: 'fail.sh', after: ['Hello'], source: 'echo "failing on purpose"\nexit 4\n' },
    ],
  });
  await client.addProject(dir, 'hello').catch(() => server.projects.add(dir, 'hello'));
  const env = { BERTH_URL: url, BERTH_TOKEN: token };

  const bad = await berth(['job', 'create', 'hello', 'hello.orchest', '--param', 'nope=1'], env);
  assert.equal(bad.code, 3);
  assert.match(bad.out, /\[BERTH_JOB_PARAM_INVALID_NAME\] pipeline "hello" has no parameter "nope"/);
  assert.match(bad.out, /hint: pipeline parameters: greeting/);

  const created = await berth(
    ['job', 'create', 'hello', 'hello.orchest', '--param', 'greeting=hola', '--param', 'Hello.name=berth', '--env', 'WHO=cli', '--json'],
    env,
  );
  assert.equal(created.code, 0, created.out);
  const { job } = JSON.parse(created.out) as { job: { uuid: string; env: { name: string; value?: string }[]; effectiveParameters: { pipeline: unknown } } };
  assert.deepEqual(job.env, [{ name: 'WHO' }], 'values of env vars are not shown');
  assert.deepEqual(job.effectiveParameters.pipeline, { greeting: 'hola' });
  assert.deepEqual((await client.getJob(job.uuid, { reveal: true })).job.env, [{ name: 'WHO', value: 'cli' }]);

  const ran = await berth(['job', 'run', job.uuid, '--wait'], env);
  assert.equal(ran.code, 3, ran.out);
  assert.match(ran.out, /step {4}Hello\s+succeeded/);
  assert.match(ran.out, /step {4}Fail\s+failed .*\(exit 4\) step "Fail" exited with code 4/);
  assert.match(ran.out, /see its log: berth run logs \S+ "Fail"/);

  const { runs } = await client.listRuns({ job: job.uuid });
  assert.equal(runs.length, 1);
  const run = runs[0]!;
  assert.equal(run.status, 'failed');
  assert.match(await client.stepLogs(run.uuid, 'Hello'), /hola berth cli/);
  const logs = await berth(['run', 'logs', run.uuid.slice(0, 8), 'Fail'], env);
  assert.match(logs.out, /failing on purpose/);
  const status = await berth(['run', 'status', run.uuid], env);
  assert.equal(status.code, 3);
  assert.match(status.out, new RegExp(`run ${run.uuid} \\(job .*\\) failed: step "Fail" exited with code 4`));
  assert.deepEqual(pidsWithEnv('ORCHEST_SESSION_UUID', run.uuid), []);

  const cancel = await client.cancelRun(run.uuid).catch((e: BerthError) => e);
  assert.equal((cancel as BerthError).code, 'BERTH_JOB_RUN_NOT_RUNNING');
  assert.equal((cancel as { status?: number }).status, 409);
  const missing = await client.getRun('00000000-0000-4000-8000-000000000000').catch((e: BerthError) => e);
  assert.equal((missing as { status?: number }).status, 404);

  const interactive = await berth(['pipeline', 'run', 'hello', 'hello.orchest', '--steps', 'Hello'], env);
  assert.equal(interactive.code, 3);
  assert.match(interactive.out, /\[BERTH_JOB_SESSION_NOT_RUNNING\] no interactive session of hello\.orchest is running in project "hello"/);
});

test('job delete: refused while a run is active, then the job, its runs and their directories go', async (t) => {
  const { client, url, token, server } = await jobsApi(t);
  const dir = await tempDir(t, 'berth-job-delete-');
  await writeProject({ dir, file: 'slow.orchest', steps: [{ title: 'Slow', file: 'slow.sh', source: 'echo started\nsleep 30\n' }] });
  await client.addProject(dir, 'slow').catch(() => server.projects.add(dir, 'slow'));
  const env = { BERTH_URL: url, BERTH_TOKEN: token };
  const { job } = await client.createJob('slow', 'slow.orchest', { name: 'nightly' });
  const { run } = await client.startRun(job.uuid);
  for (let i = 0; i < 200 && (await client.getRun(run.uuid)).run.steps[0]?.status !== 'running'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));

  const refused = await berth(['job', 'delete', job.uuid], env);
  assert.equal(refused.code, 3, refused.out);
  assert.match(refused.out, new RegExp(`\\[BERTH_JOB_RUN_STILL_ACTIVE\\] job "nightly" has a run still going \\(${run.uuid}\\)`));
  assert.match(refused.out, new RegExp(`hint: cancel it first: berth run cancel ${run.uuid}`));
  assert.equal((await client.getJob(job.uuid)).job.uuid, job.uuid, 'nothing was deleted');

  await client.cancelRun(run.uuid);
  const { run: ended } = await client.getRun(run.uuid);
  const runDir = ended.runDir;
  assert.ok(existsSync(join(runDir, 'project', 'slow.sh')), 'the run copied the project');
  const deleted = await berth(['job', 'delete', 'nightly', '--json'], env);
  assert.equal(deleted.code, 0, deleted.out);
  assert.deepEqual(JSON.parse(deleted.out), { deleted: { uuid: job.uuid, runs: 1 } });
  assert.equal(existsSync(runDir), false, 'the run directory is gone');
  assert.equal(((await client.getJob(job.uuid).catch((e: unknown) => e)) as { status?: number }).status, 404);
  assert.equal(((await client.getRun(run.uuid).catch((e: unknown) => e)) as { status?: number }).status, 404);
  assert.ok(existsSync(join(dir, 'slow.sh')), 'the project itself is untouched');
});
