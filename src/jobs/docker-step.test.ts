/**
 * A step on the docker runtime, from the step to the Engine API body: the task executor's layout
 * (stepTask) as the docker runtime turns it into a container (taskContainerBody).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerApiUrl, taskContainerBody } from '../runtime/docker/task.ts';
import type { StepExecution } from './executor.ts';
import { PYTHON_SDK_DIR } from './step-env.ts';
import { stepTask } from './task-executor.ts';

const DOCKER = { hostAlias: 'host.docker.internal', extraHosts: ['host.docker.internal:host-gateway'] };

function execution(project: string, fields: Partial<StepExecution> = {}): StepExecution {
  return {
    stepUuid: 'step-uuid',
    title: 'Load',
    filePath: 'load.py',
    cwd: project,
    env: {},
    logFile: '/tmp/x.log',
    environment: 'env-uuid',
    sessionUuid: 'sid',
    projectUuid: 'project-uuid',
    envInput: {
      host: { PATH: '/host/bin', HOME: '/root' },
      userEnv: { SECRET: 'x', PYTHONPATH: '/extra' },
      stepUuid: 'step-uuid',
      runUuid: 'run-uuid',
      sessionUuid: 'sid',
      sessionType: 'noninteractive',
      pipelineUuid: 'pipeline-uuid',
      pipelinePath: join(project, 'sub', 'p.orchest'),
      projectUuid: 'project-uuid',
      projectDir: project,
      dataDir: '/srv/data',
      apiUrl: 'http://127.0.0.1:4000',
      transferDir: '/var/berth/run/transfer',
      runtime: 'docker',
      namespace: '',
      cluster: 'inst',
    },
    signal: new AbortController().signal,
    ...fields,
  };
}

interface Body {
  Env: string[];
  Cmd: string[];
  Entrypoint: string[];
  WorkingDir: string;
  Labels: Record<string, string>;
  HostConfig: { Binds: string[]; NetworkMode: string; ExtraHosts: string[]; Init: boolean };
}

function dockerBody(step: StepExecution, image: string): Body {
  return taskContainerBody(stepTask(step, image, 'docker', 'inst'), 'inst', DOCKER) as unknown as Body;
}

test('the API URL on the host loopback becomes the host alias', () => {
  assert.equal(containerApiUrl('http://127.0.0.1:4000', 'host.docker.internal'), 'http://host.docker.internal:4000');
  assert.equal(containerApiUrl('http://berth.example:4000/', 'host.docker.internal'), 'http://berth.example:4000');
});

test('a step container: container paths, no host env, SDK on PYTHONPATH, session network, labels', (t) => {
  const project = mkdtempSync(join(tmpdir(), 'berth-step-spec-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const body = dockerBody(execution(project), 'img:1');
  const env = Object.fromEntries(body.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  assert.deepEqual(body.Cmd, ['python3', 'load.py']);
  assert.deepEqual(body.Entrypoint, [], "the image's entrypoint does not wrap the step");
  assert.equal(body.HostConfig.Init, true, 'an init process passes signals on');
  assert.equal(body.WorkingDir, '/project-dir');
  assert.equal(env.PATH, undefined, "the host's PATH stays on the host");
  assert.equal(env.SECRET, 'x');
  assert.equal(env.PYTHONPATH, '/berth/sdk/python:/extra');
  assert.equal(env.ORCHEST_PIPELINE_PATH, '/project-dir/sub/p.orchest');
  assert.equal(env.ORCHEST_DATA_DIR, '/data');
  assert.equal(env.BERTH_API_URL, 'http://host.docker.internal:4000');
  assert.equal(env.BERTH_SDK_TS, undefined);
  assert.equal(env.BERTH_TRANSFER_DIR, '/berth/transfer', 'the run directory as the container sees it');
  assert.deepEqual([...body.HostConfig.Binds].sort(), [
    `${project}:/project-dir:rw`,
    '/srv/data:/data:rw',
    `${PYTHON_SDK_DIR}:/berth/sdk/python:ro`,
    '/var/berth/run/transfer:/berth/transfer:rw',
  ].sort());
  assert.equal(body.HostConfig.NetworkMode, 'berth-sid');
  assert.deepEqual(body.HostConfig.ExtraHosts, ['host.docker.internal:host-gateway']);
  assert.deepEqual(body.Labels, { 'berth.installation': 'inst', 'berth.session': 'sid', 'berth.project': 'project-uuid', 'berth.run': 'run-uuid', 'berth.step': 'step-uuid' });
});

test('notebooks of interactive runs are written to a mounted directory outside the project; TypeScript is refused', (t) => {
  const project = mkdtempSync(join(tmpdir(), 'berth-step-spec-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const step = execution(project, { filePath: 'a.ipynb', notebookOutputDir: '/var/berth/run/notebooks' });
  // Berth's notebook runner from the SDK mount, with the image's python; a missing kernel is reported as the image's.
  assert.deepEqual(stepTask(step, 'img:1', 'docker', 'inst').argv, ['python3', '/berth/sdk/python/berth_notebook_runner.py', 'a.ipynb', '--output-dir', '/berth/notebooks', '--where', 'the image img:1']);
  assert.ok(dockerBody(step, 'img:1').HostConfig.Binds.includes('/var/berth/run/notebooks:/berth/notebooks:rw'));
  assert.throws(() => stepTask(execution(project, { filePath: 'a.ts' }), 'img:1', 'docker', 'inst'), /TypeScript steps run through Berth's own Node/);
});

test("an interactive run's services file is bound read-only beside the SDK", (t) => {
  const project = mkdtempSync(join(tmpdir(), 'berth-step-spec-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const step = execution(project);
  step.envInput = { ...step.envInput, servicesFile: '/var/berth/run/session-services.json' };
  const body = dockerBody(step, 'img:1');
  assert.ok(body.HostConfig.Binds.includes('/var/berth/run/session-services.json:/berth/session-services.json:ro'), body.HostConfig.Binds.join('\n'));
  assert.ok(body.Env.includes('BERTH_SERVICES_FILE=/berth/session-services.json'));
});
