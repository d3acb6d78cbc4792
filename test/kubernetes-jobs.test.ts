/**
 * Job runs on the kubernetes runtime, through Berth's API against the fake kube-apiserver: the
 * run's copy of the project lands on the projects claim, its services start as Deployments, each
 * step runs as a Pod from its environment's pushed digest, with the session's label (its
 * NetworkPolicy admits it), the project and data claims as subPaths, and the Python SDK and the
 * session's services from a ConfigMap. The test plays the step pods (no cluster runs here).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ConfigMap, Pod } from 'kubernetes-models/v1';
import type { V1Pod } from '@kubernetes/client-node';
import { writeProject } from './jobs-support.ts';
import { buildWithFake, DIGESTS, playPod, REPOSITORY, setupKubernetesServer, until } from './support/kubernetes.ts';

const PIPELINE = 'job.orchest';

async function jobProject(projectDir: string, environment: string) {
  return writeProject({
    dir: projectDir,
    file: PIPELINE,
    services: { redis: { image: 'localhost/redis:7', command: 'redis-server', ports: [6379], readiness: { type: 'none' } } },
    steps: [
      { title: 'Train', file: 'train.py', source: 'print("training")\n', environment },
      { title: 'Report', file: 'report.py', source: 'raise SystemExit(3)\n', environment, after: ['Train'] },
    ],
  });
}

/** The step's pod: named `berth-step-<run>-<step>`. */
function stepPod(pods: { metadata: { name: string } }[], stepUuid: string): V1Pod | undefined {
  return pods.find((p) => p.metadata.name.endsWith(stepUuid.slice(0, 12))) as V1Pod | undefined;
}

describe('job runs on the kubernetes runtime (fake API server)', () => {
  test('steps run as pods from the pushed digest, with the claims, the SDK and the services; failures and cleanup', async (t) => {
    const server = await setupKubernetesServer(t, { BERTH_K8S_REGISTRY: REPOSITORY });
    const { client, fake, projectsRoot, projectDir, environment } = server;
    const sessionPods = () => fake.objects('pods').filter((p) => p.metadata.labels?.['berth.session']);
    const image = await buildWithFake(server, DIGESTS[0]!);
    const { stepUuids } = await jobProject(projectDir, environment);
    const { job } = await client.createJob('envproj', PIPELINE);
    const { run } = await client.startRun(job.uuid);

    const train = await until('the Train pod', () => stepPod(fake.objects('pods'), stepUuids.Train!));
    new Pod(train as never).validate(); // as the API server received it
    const spec = train.spec!;
    const container = spec.containers[0]!;
    assert.equal(container.image, image);
    assert.equal(image, `${REPOSITORY}@${DIGESTS[0]}`);
    assert.deepEqual(container.command, ['python3', 'train.py']);
    assert.equal(container.workingDir, '/project-dir');
    assert.equal(spec.restartPolicy, 'Never');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.ORCHEST_PROJECT_DIR, '/project-dir');
    assert.equal(env.ORCHEST_SESSION_TYPE, 'noninteractive');
    assert.equal(env.PYTHONPATH, '/berth/sdk/python');
    assert.equal(env.BERTH_SERVICES_FILE, undefined, 'job steps read their services from the run\'s pipeline file');
    assert.equal(env.BERTH_RUNTIME, 'kubernetes');
    // From the runtime's settings (here the server's env; in a pod, the service account's file), not process.env.
    assert.equal(env.ORCHEST_NAMESPACE, 'berth');
    // The session's label lets the step through the session's NetworkPolicy to its services.
    assert.equal(train.metadata?.labels?.['berth.session'], run.sessionUuid);
    assert.ok(fake.objects('networkpolicies').length === 1 && fake.objects('deployments').length === 1, 'the session and its Redis run');

    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const runCopy = `.berth-runs/${job.uuid}/${run.uuid}/project`;
    assert.equal(mounts['/project-dir']?.subPath, runCopy, `the run's copy, on the projects claim under ${projectsRoot}`);
    assert.equal(mounts['/data']?.subPath, 'data');
    assert.deepEqual(spec.volumes?.find((v) => v.name === 'project-dir')?.persistentVolumeClaim, { claimName: 'berth-projects' });
    const configMap = fake.objects('configmaps').find((c) => c.metadata.name === train.metadata?.name);
    new ConfigMap(configMap as never).validate();
    const files = (configMap as unknown as { data: Record<string, string> }).data;
    const fileAt = (path: string) => files[mounts[path]?.subPath ?? ''];
    assert.match(fileAt('/berth/sdk/python/orchest/services.py') ?? '', /def get_service/);
    assert.match(fileAt('/berth/sdk/python/berth_notebook_runner.py') ?? '', /KernelSpecManager/, 'notebook steps find Berth\'s notebook runner in the pod');
    const shipped = /^\/berth\/sdk\/python\/(orchest\/\w+\.py|berth_notebook_runner\.py)$/;
    assert.deepEqual(Object.keys(mounts).filter((path) => path.startsWith('/berth/sdk/python/') && !shipped.test(path)), [], 'the SDK package and the notebook runner only, without tests');

    await playPod(fake, train.metadata!.name!, ['training'], 0);
    const report = await until('the Report pod', () => stepPod(fake.objects('pods'), stepUuids.Report!));
    await playPod(fake, report.metadata!.name!, ['Traceback: nothing to report'], 3);

    const ended = await server.server.jobs.waitRun(run.uuid, 30_000);
    assert.equal(ended.status, 'failed');
    assert.deepEqual(ended.steps.map((s) => [s.title, s.status, s.exitCode]), [['Train', 'succeeded', 0], ['Report', 'failed', 3]]);
    assert.match(ended.steps[1]?.reason ?? '', /step "Report" exited with code 3/);
    const trainLog = await readFile(ended.steps[0]!.logFile, 'utf8');
    assert.match(trainLog, new RegExp(`step "Train" in ${REPOSITORY.replaceAll('.', '\\.')}@sha256:1+: python3 train.py\\ntraining\\n`));
    assert.match(await readFile(ended.steps[1]!.logFile, 'utf8'), /Traceback: nothing to report\n\n\[berth\] step "Report" exited with code 3/);
    // Nothing of the run is left: step pods and their ConfigMaps, the services, the policy (the build Job's pod stays, as a Job's does).
    assert.deepEqual(sessionPods(), []);
    assert.deepEqual(fake.objects('configmaps'), []);
    assert.deepEqual(fake.objects('deployments'), []);
    assert.deepEqual(fake.objects('networkpolicies'), []);
  });

  test('cancelling a run deletes the running step pod; a step whose image cannot be pulled fails with the reason', async (t) => {
    const server = await setupKubernetesServer(t, { BERTH_K8S_REGISTRY: REPOSITORY });
    const { client, fake, projectDir, environment } = server;
    const sessionPods = () => fake.objects('pods').filter((p) => p.metadata.labels?.['berth.session']);
    await buildWithFake(server, DIGESTS[0]!);
    const { stepUuids } = await jobProject(projectDir, environment);
    const { job } = await client.createJob('envproj', PIPELINE);

    const { run } = await client.startRun(job.uuid);
    await until('the Train pod', () => stepPod(fake.objects('pods'), stepUuids.Train!));
    await client.cancelRun(run.uuid);
    const cancelled = await server.server.jobs.waitRun(run.uuid, 30_000);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.steps[0]?.status, 'cancelled');
    assert.deepEqual(sessionPods(), []);

    fake.podStatus = (pod) =>
      pod.metadata.name.startsWith('berth-step-')
        ? { phase: 'Pending', containerStatuses: [{ name: 'step', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] }
        : { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: new Date().toISOString() } } }] };
    const { run: second } = await client.startRun(job.uuid);
    const failed = await server.server.jobs.waitRun(second.uuid, 30_000);
    assert.equal(failed.status, 'failed');
    assert.match(failed.steps[0]?.reason ?? '', /^cannot run step "Train": step pod berth-step-\S+ \(namespace berth\) cannot start: ImagePullBackOff: Back-off pulling image/);
    assert.equal(failed.steps[1]?.status, 'skipped');
    assert.deepEqual(sessionPods(), []);
  });

  test('an interactive run executes in the live project inside the running session, with the session\'s services in a file', async (t) => {
    const server = await setupKubernetesServer(t, { BERTH_K8S_REGISTRY: REPOSITORY });
    const { client, fake, projectDir, environment } = server;
    await buildWithFake(server, DIGESTS[0]!);
    const { stepUuids } = await jobProject(projectDir, environment);
    const { session } = await client.startSession('envproj', PIPELINE);
    assert.equal((await server.server.sessions.waitSettled(session.uuid, 10_000)).status, 'running');

    const { run } = await client.request<{ run: { uuid: string } }>('POST', '/api/pipeline-runs', { project: 'envproj', pipeline: PIPELINE, steps: [stepUuids.Train] });
    const train = await until('the Train pod', () => stepPod(fake.objects('pods'), stepUuids.Train!));
    const container = train.spec!.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.ORCHEST_SESSION_TYPE, 'interactive');
    assert.equal(env.BERTH_SERVICES_FILE, '/berth/session-services.json');
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    assert.equal(mounts['/project-dir']?.subPath, 'team/envproj', 'the live project');
    assert.match(mounts['/berth/notebooks']?.subPath ?? '', /^\.berth-runs\/interactive\/[0-9a-f-]+\/notebooks$/);
    const files = (fake.objects('configmaps').find((c) => c.metadata.name === train.metadata?.name) as unknown as { data: Record<string, string> }).data;
    const services = JSON.parse(files[mounts['/berth/session-services.json']?.subPath ?? ''] ?? '{}') as { user_services: Record<string, { internal_hostname: string }> };
    assert.equal(services.user_services.redis?.internal_hostname, `redis-${session.uuid}`);

    await playPod(fake, train.metadata!.name!, ['trained in the session'], 0);
    const ended = await server.server.jobs.waitRun(run.uuid, 30_000);
    assert.equal(ended.status, 'succeeded', ended.reason ?? '');
    assert.equal((await server.server.sessions.get(session.uuid)).status, 'running', 'the session keeps running');
    await client.stopSession(session.uuid);
  });
});
