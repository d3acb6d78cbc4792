/**
 * Jobs on the docker runtime, end to end against both engines (Docker and Podman's compatible
 * socket): steps run as containers from their environment's image, built once per engine through
 * the API from localhost/debian:bookworm with the fewest Debian packages a script and a notebook
 * need. A run with a Redis service goes green (both steps find it with `orchest.get_service`, by
 * `redis-<run>` and by `redis`, and read their parameters); a failing step fails the run, skips its
 * dependents and tears the services down; a step whose environment is not built fails with the fix;
 * cancel kills the running step's container; a project as Orchest wrote it (1.0.0 pipeline file, notebooks
 * saved with kernel `orchest-kernel-<environment>`) runs its Python notebook, and its R notebook is refused
 * naming the image (the test image has no R: R steps and R notebooks are tested on the local runtime, in
 * test/jobs-orchest-notebooks.test.ts). After every run no container of its session is left.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseParameterAssignments, type RunView } from '../src/jobs/index.ts';
import { LABELS } from '../src/plan/types.ts';
import { engines, removeTestImages, type Engine } from '../src/runtime/docker/test-helpers.ts';
import type { BerthServer } from '../src/server/index.ts';
import type { BerthClient } from '../src/sdk/client.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { startTestServer, tempDir } from './support/berth.ts';
import { skipUnless } from './support/requirements.ts';
import { buildAndWait } from './support/environments.ts';
import { assertStepsStartedAfterServicesReady, notebook, RESP_PY, writeProject, type ProjectFixture } from './jobs-support.ts';
import { orchestKernelspec, orchestNotebook, writeOrchestProject } from './orchest-project.ts';

/** python3-nbconvert and python3-ipykernel pull in python3; nothing recommended, no caches. */
const SETUP_SCRIPT = [
  '#!/bin/bash',
  'set -e',
  // A throwaway build needs no fsync per unpacked file: dpkg is several times faster without.
  'echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/unsafe-io',
  'apt-get update',
  'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-nbconvert python3-ipykernel',
  'rm -rf /var/lib/apt/lists/*',
  '',
].join('\n');

/** writeProject leaves `environment` empty: the docker runtime needs each step's environment uuid. */
async function writeProjectIn(fixture: ProjectFixture, environments: Record<string, string>, fallback: string) {
  const written = await writeProject(fixture);
  const file = join(fixture.dir, fixture.file);
  const pipeline = JSON.parse(await readFile(file, 'utf8')) as { steps: Record<string, { title: string; environment: string }> };
  for (const step of Object.values(pipeline.steps)) step.environment = environments[step.title] ?? fallback;
  await writeFile(file, `${JSON.stringify(pipeline, null, 4)}\n`);
  return written;
}

function describeRun(run: RunView): string {
  return JSON.stringify({ status: run.status, reason: run.reason, steps: run.steps.map((s) => [s.title, s.status, s.reason]) }, null, 2);
}

async function startJob(server: BerthServer, project: string, pipeline: string, params: string[] = []): Promise<string> {
  const record = server.projects.get(project);
  const loaded = await loadPipelineFile(join(record.path, pipeline));
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  const job = server.jobs.createJob({
    projectUuid: record.uuid,
    pipelinePath: pipeline,
    spec: loaded.spec,
    parameters: parseParameterAssignments(params, loaded.spec),
  });
  return (await server.jobs.startRun(job.uuid)).uuid;
}

async function leftovers(server: BerthServer, sessionUuid: string): Promise<string[]> {
  const objects = await server.sessions.runtime.list({ [LABELS.session]: sessionUuid });
  return objects.map((o) => `${o.ref.id.slice(0, 12)} ${JSON.stringify(o.labels)}`);
}

interface EngineSetup {
  server: BerthServer;
  client: BerthClient;
  dir: string;
  envUuid: string;
  sharedDataDir: string;
  cleanups: (() => Promise<void>)[];
}

/**
 * One server, project and environment build per engine for all its tests: the build is the slow
 * part, so the first suite starts the builds of every available engine at once (downloads and
 * unpacking overlap) and each suite awaits its own.
 */
const setups = new Map<string, Promise<EngineSetup>>();

function setupFor(engine: Engine): Promise<EngineSetup> {
  let setup = setups.get(engine.name);
  if (!setup) {
    setup = prepareEngine(engine);
    setup.catch(() => undefined); // awaited (and reported) by the engine's own suite
    setups.set(engine.name, setup);
  }
  return setup;
}

async function prepareEngine(engine: Engine): Promise<EngineSetup> {
  const cleanups: (() => Promise<void>)[] = [];
  const scope = { after: (fn: () => Promise<void>) => void cleanups.push(fn) };
  try {
    const started = await startTestServer(scope, { runtime: 'docker', dockerHost: `unix://${engine.socketPath}` });
    const dir = await tempDir(scope, 'berth-job-docker-');
    await writeFile(join(dir, 'README.md'), 'jobs on docker\n');
    await started.client.addProject(dir, 'dock');
    const { environment } = await started.client.request<{ environment: { uuid: string } }>('POST', '/api/projects/dock/environments', {
      name: 'python',
      base_image: 'localhost/debian:bookworm',
      setupScript: SETUP_SCRIPT,
    });
    const t0 = Date.now();
    const build = await buildAndWait(started.client, 'dock', environment.uuid);
    console.log(`[jobs-docker] ${engine.name}: environment build ${build.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (build.image) {
      // Each run of this test builds a new image: it goes with the test, not into the engine's pile.
      cleanups.unshift(() => removeTestImages(engine.socketPath, [build.image]));
    }
    assert.equal(build.status, 'succeeded', `${build.error ?? ''}\n${build.log.slice(-3000)}`);
    return { server: started.server, client: started.client, dir, envUuid: environment.uuid, sharedDataDir: join(started.dataDir, 'data'), cleanups };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

const available = await engines();

for (const engine of available) {
  describe(`jobs on the docker runtime (${engine.name})`, skipUnless(engine.requirement), () => {
    let server: BerthServer;
    let client: BerthClient;
    let dir: string;
    let envUuid: string;
    let sharedDataDir: string;
    let cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      for (const other of available) if (other.requirement.ok) void setupFor(other);
      ({ server, client, dir, envUuid, sharedDataDir, cleanups } = await setupFor(engine));
    });
    after(async () => {
      // Stop what the runs left first (none should be left), then the server, its files and the image.
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('a script and a notebook in containers use the Redis service by name and their parameters; nothing is left after', async () => {
      const { stepUuids } = await writeProjectIn(
        {
          dir,
          file: 'etl.orchest',
          parameters: { greeting: 'hello' },
          services: { redis: { image: 'localhost/redis:7', ports: [6379], scope: ['noninteractive'], readiness: { type: 'command', command: ['redis-cli', 'ping'] } } },
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
                'print("PING by service name:", command("redis", 6379, "PING"))',
                'open("/data/written-by-step.txt", "w").write("data")',
                'env = {k: v for k, v in os.environ.items() if k.startswith(("ORCHEST_", "BERTH_", "PYTHON"))}',
                'env["cwd"] = os.getcwd()',
                'json.dump(env, open("env.json", "w"))',
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
        },
        {},
        envUuid,
      );
      const t0 = Date.now();
      const uuid = await startJob(server, 'dock', 'etl.orchest', ['greeting=hola', 'Write.key=berth:job', `${stepUuids.Read}.key=berth:job`]);
      const run = await server.jobs.waitRun(uuid, 300_000);
      console.log(`[jobs-docker] ${engine.name}: green run ${run.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const logs = await Promise.all(run.steps.map((s) => readFile(s.logFile, 'utf8').catch(() => '')));
      assert.equal(run.status, 'succeeded', `${describeRun(run)}\n${logs.join('\n---\n')}`);
      assert.deepEqual(run.steps.map((s) => [s.title, s.status, s.exitCode]), [['Write', 'succeeded', 0], ['Read', 'succeeded', 0]]);
      assertStepsStartedAfterServicesReady(run, ['redis']);
      assert.match(logs[0]!, /SET \+OK/, 'the script reached redis-<run> and its output is in the step log');
      assert.match(logs[0]!, /PING by service name: \+PONG/, 'the bare service name resolves on the session network');

      const copy = join(run.runDir, 'project');
      assert.equal(await readFile(join(copy, 'result.txt'), 'utf8'), 'hola', 'the notebook read what the script wrote, with the job parameter');
      const executed = JSON.parse(await readFile(join(copy, 'read.ipynb'), 'utf8'));
      assert.match(JSON.stringify(executed.cells[1].outputs), /read back: hola/, 'the executed notebook is kept in the run copy');
      const services = JSON.parse(await readFile(join(copy, 'services.json'), 'utf8'));
      assert.equal(services.redis.internal_hostname, `redis-${run.uuid}`);
      const env = JSON.parse(await readFile(join(copy, 'env.json'), 'utf8')) as Record<string, string>;
      assert.equal(env.cwd, '/project-dir');
      assert.equal(env.ORCHEST_PROJECT_DIR, '/project-dir');
      assert.equal(env.ORCHEST_DATA_DIR, '/data');
      assert.equal(env.ORCHEST_PIPELINE_PATH, '/project-dir/etl.orchest');
      assert.equal(env.ORCHEST_STEP_UUID, stepUuids.Write);
      assert.equal(env.ORCHEST_SESSION_UUID, run.uuid);
      assert.equal(env.ORCHEST_SESSION_TYPE, 'noninteractive');
      assert.equal(env.BERTH_RUNTIME, 'docker');
      assert.equal(env.BERTH_RUN_UUID, run.uuid);
      assert.equal(env.PYTHONPATH, '/berth/sdk/python');
      assert.match(env.BERTH_API_URL ?? '', /^http:\/\/host\.(docker|containers)\.internal:\d+$/);
      assert.ok(env.BERTH_SESSION_TOKEN, 'the step got a session token');
      assert.equal(await readFile(join(sharedDataDir, 'written-by-step.txt'), 'utf8'), 'data', '/data is the shared data directory');

      assert.deepEqual(await leftovers(server, run.uuid), [], 'no container of the run session is left');
      assert.equal(server.sessions.find(run.uuid)?.status, 'stopped');
    });

    test('a project as Orchest wrote it: the notebook saved with kernel orchest-kernel-<environment> runs with python3 and keeps its kernelspec; an R notebook is refused, naming the image', async () => {
      const python = orchestNotebook('python', envUuid, 'import os\nprint("python in", os.environ["BERTH_RUNTIME"])', 'open("orchest-notebook.txt", "w").write("ran")');
      const r = orchestNotebook('r', envUuid, 'cat("never")');
      await writeOrchestProject({
        dir,
        file: 'orchest-made.orchest',
        environment: envUuid,
        steps: [
          { title: 'Python notebook', file: 'orchest-py.ipynb', source: python },
          { title: 'R notebook', file: 'orchest-r.ipynb', language: 'r', source: r },
        ],
      });
      const uuid = await startJob(server, 'dock', 'orchest-made.orchest');
      const run = await server.jobs.waitRun(uuid, 300_000);
      const logs = await Promise.all(run.steps.map((s) => readFile(s.logFile, 'utf8').catch(() => '')));
      const context = `${describeRun(run)}\n${logs.join('\n---\n')}`;
      assert.deepEqual(run.steps.map((s) => [s.title, s.status, s.exitCode]), [['Python notebook', 'succeeded', 0], ['R notebook', 'failed', 3]], context);
      const copy = join(run.runDir, 'project');
      const executed = JSON.parse(await readFile(join(copy, 'orchest-py.ipynb'), 'utf8'));
      assert.deepEqual(executed.metadata.kernelspec, orchestKernelspec('python', envUuid), 'the executed notebook keeps its Orchest kernelspec');
      assert.match(JSON.stringify(executed.cells[0].outputs), /python in docker/);
      assert.equal(await readFile(join(copy, 'orchest-notebook.txt'), 'utf8'), 'ran');
      // The image the step ran in, from the step log's first line: the refusal names it.
      const image = /step "R notebook" in (\S+):/.exec(logs[1]!)?.[1];
      assert.ok(image, logs[1]);
      assert.ok(
        logs[1]!.includes(
          `[berth] notebook orchest-r.ipynb is written in R (kernelspec "orchest-kernel-${envUuid}"), and the image ${image} has no r kernel (kernels there: python3): ` +
            'install r-cran-irkernel (Debian; it registers the `ir` kernel system-wide)',
        ),
        logs[1],
      );
      assert.deepEqual(await leftovers(server, run.uuid), [], 'no container of the run session is left');
    });

    test('a failing step fails the run, its dependent is skipped, an unbuilt environment says how to build it, services are torn down', async () => {
      const unbuilt = '0b0b0b0b-0000-4000-8000-000000000000';
      await writeProjectIn(
        {
          dir,
          file: 'fail.orchest',
          services: { redis: { image: 'localhost/redis:7', ports: [6379], scope: ['noninteractive'], readiness: { type: 'command', command: ['redis-cli', 'ping'] } } },
          steps: [
            { title: 'Boom', file: 'boom.sh', source: 'echo "about to fail" >&2\nexit 3\n' },
            { title: 'After boom', file: 'after.py', after: ['Boom'], source: 'open("after.txt", "w").write("ran")\n' },
            { title: 'Unbuilt', file: 'unbuilt.py', source: 'print("never")\n' },
          ],
        },
        { Unbuilt: unbuilt },
        envUuid,
      );
      const uuid = await startJob(server, 'dock', 'fail.orchest');
      const run = await server.jobs.waitRun(uuid, 300_000);
      assert.equal(run.status, 'failed', describeRun(run));
      const byTitle = Object.fromEntries(run.steps.map((s) => [s.title, s]));
      assert.equal(byTitle.Boom!.status, 'failed');
      assert.equal(byTitle.Boom!.exitCode, 3);
      assert.equal(byTitle.Boom!.reason, 'step "Boom" exited with code 3');
      assert.match(await readFile(byTitle.Boom!.logFile, 'utf8'), /about to fail/);
      assert.equal(byTitle['After boom']!.status, 'skipped');
      assert.equal(byTitle['After boom']!.reason, 'not run: it depends on "Boom", which did not succeed');
      assert.equal(existsSync(join(run.runDir, 'project', 'after.txt')), false);
      assert.equal(byTitle.Unbuilt!.status, 'failed');
      assert.match(byTitle.Unbuilt!.reason ?? '', new RegExp(`^step "Unbuilt" cannot run: its environment ${unbuilt} has no built image \\(build it with \`berth env-image build [0-9a-f-]+ ${unbuilt}\` and run again\\)$`));
      assert.match(await readFile(byTitle.Unbuilt!.logFile, 'utf8'), /berth env-image build/);
      assert.deepEqual(await leftovers(server, run.uuid), [], 'the services are torn down after a failure');
      assert.equal(server.sessions.find(run.uuid)?.status, 'stopped');
    });

    test('cancel kills and removes the running step container and stops the services', async () => {
      await writeProjectIn(
        {
          dir,
          file: 'slow.orchest',
          steps: [
            { title: 'Slow', file: 'slow.py', source: 'import time\nprint("started", flush=True)\ntime.sleep(120)\n' },
            { title: 'Next', file: 'next.py', after: ['Slow'], source: 'print("never")\n' },
          ],
        },
        {},
        envUuid,
      );
      const uuid = await startJob(server, 'dock', 'slow.orchest');
      const deadline = Date.now() + 60_000;
      for (;;) {
        const step = server.jobs.getRun(uuid).steps[0]!;
        if (step.status === 'running' && (await readFile(step.logFile, 'utf8').catch(() => '')).includes('started')) break;
        assert.ok(Date.now() < deadline, `the step did not start: ${describeRun(server.jobs.getRun(uuid))}`);
        await sleep(100);
      }
      assert.equal((await leftovers(server, uuid)).length, 1, 'the step runs as a container of the run session');
      const cancelled = await server.jobs.cancelRun(uuid);
      assert.equal(cancelled.status, 'cancelled', describeRun(cancelled));
      assert.deepEqual(cancelled.steps.map((s) => [s.title, s.status]), [['Slow', 'cancelled'], ['Next', 'skipped']]);
      assert.deepEqual(await leftovers(server, uuid), [], 'the step container is gone');
    });

    test('an interactive run executes in the live project of the running session; notebooks are written beside the run', async () => {
      await writeProjectIn(
        {
          dir,
          file: 'live.orchest',
          steps: [
            {
              title: 'Live',
              file: 'live.py',
              parameters: { word: 'live' },
              source:
                'import os, orchest\nopen("live.txt", "w").write(orchest.get_step_param("word") + " " + os.environ["ORCHEST_SESSION_TYPE"])\n' +
                'open("live-host.txt", "w").write(orchest.get_service("redis")["internal_hostname"])\n',
            },
            { title: 'Book', file: 'book.ipynb', after: ['Live'], source: notebook('print("from the notebook:", open("live.txt").read())') },
          ],
          services: { redis: { image: 'localhost/redis:7', ports: [6379], scope: ['interactive'], readiness: { type: 'command', command: ['redis-cli', 'ping'] } } },
        },
        {},
        envUuid,
      );
      const { session } = await client.startSession('dock', 'live.orchest');
      const settled = await server.sessions.waitSettled(session.uuid, 60_000);
      assert.equal(settled.status, 'running', settled.reason ?? '');
      const record = server.projects.get('dock');
      const loaded = await loadPipelineFile(join(record.path, 'live.orchest'));
      const started = await server.jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: 'live.orchest', spec: loaded.spec! });
      const run = await server.jobs.waitRun(started.uuid, 120_000);
      const logs = await Promise.all(run.steps.map((s) => readFile(s.logFile, 'utf8').catch(() => '')));
      assert.equal(run.status, 'succeeded', `${describeRun(run)}\n${logs.join('\n---\n')}`);
      assert.equal(await readFile(join(dir, 'live.txt'), 'utf8'), 'live interactive', 'the step wrote into the live project');
      const executed = JSON.parse(await readFile(join(run.runDir, 'notebooks', 'book.ipynb'), 'utf8'));
      assert.match(JSON.stringify(executed.cells[0].outputs), /from the notebook: live interactive/);
      assert.equal(JSON.parse(await readFile(join(dir, 'book.ipynb'), 'utf8')).cells[0].outputs.length, 0, 'the project notebook is not overwritten');
      assert.equal(
        await readFile(join(dir, 'live-host.txt'), 'utf8'),
        `redis-${session.uuid}`,
        "get_service in an interactive run on docker answers from the session's services (no API call from the container)",
      );
      const left = await leftovers(server, session.uuid);
      assert.equal(left.length, 1, `only the session's redis container is left, the step containers are removed: ${left.join('\n')}`);
      await client.stopSession(session.uuid);
    });
  });
}
