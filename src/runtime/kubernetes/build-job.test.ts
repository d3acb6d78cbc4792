/**
 * Environment build Jobs: the manifests validate offline and the API calls work against the fake
 * API server. Running BuildKit for real needs a cluster and a registry, neither of which exists
 * on this machine, so the push itself is not exercised here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { buildConfigMapManifest, buildJobManifest, runBuildJob, type BuildJobInput } from './build-job.ts';
import { createKubernetesClients, loadKubeConfig } from './client.ts';
import { startFakeApiServer } from './fake-api-server.ts';
import { RuntimeError } from '../errors.ts';
import { toWire } from './wire.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

const input: BuildJobInput = {
  namespace: 'berth',
  installationId: 'inst-1',
  projectUuid: '766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b',
  environmentUuid: '9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50',
  build: 3,
  dockerfile: 'FROM localhost/debian:bookworm\nWORKDIR /project-dir\nCOPY project/ /project-dir/\n',
  setupScript: 'echo setting up\n',
  repository: 'registry.example.com/team/berth-env',
  projectClaim: 'berth-projects',
  projectSubPath: 'projects/766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b',
  registrySecret: 'berth-registry',
};

function terminated(exitCode: number, message: string): Record<string, unknown> {
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: 'buildkit', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode, message, reason: exitCode === 0 ? 'Completed' : 'Error' } } }],
  };
}

describe('environment build jobs', () => {
  it('generates a Job and a ConfigMap that validate against the Kubernetes schema', () => {
    const job = buildJobManifest(input);
    new Job(toWire(job, 'V1Job') as never).validate();
    new ConfigMap(toWire(buildConfigMapManifest(input), 'V1ConfigMap') as never).validate();
    const container = job.spec?.template.spec?.containers[0];
    assert.deepEqual(container?.command, ['buildctl-daemonless.sh']);
    assert.ok(container?.args?.includes('type=image,name=registry.example.com/team/berth-env:766907b5-9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50-3,push=true'));
    assert.equal(job.metadata?.name, 'berth-build-766907b5-9d4a5f3e-3');
    assert.equal(job.spec?.backoffLimit, 0);
  });

  it('runs the build\'s pod on Berth\'s node when colocate is set (it mounts the projects claim), anywhere without', () => {
    const colocate = { labels: { 'app.kubernetes.io/name': 'berth' }, topologyKey: 'kubernetes.io/hostname' };
    const job = buildJobManifest({ ...input, colocate });
    new Job(toWire(job, 'V1Job') as never).validate();
    assert.deepEqual(job.spec?.template.spec?.affinity, {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'berth' } }, topologyKey: 'kubernetes.io/hostname' }] },
    });
    assert.equal(buildJobManifest(input).spec?.template.spec?.affinity, undefined);
  });

  it('creates the build, streams its log and returns the pushed digest', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    fake.podStatus = () => ({ phase: 'Running', containerStatuses: [{ name: 'buildkit', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: new Date().toISOString() } } }] });
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const seen: string[] = [];
    const running = runBuildJob(clients, input, { pollMs: 20, onLog: (line) => seen.push(line) });
    // Play the builder: print, push, end with BuildKit's metadata as the termination message.
    for (let i = 0; i < 200 && !fake.pod('berth-build-'); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const pod = fake.pod('berth-build-');
    assert.ok(pod, 'the Job got a pod');
    fake.log(pod.metadata.name, '#5 [2/3] RUN bash /tmp/berth-build/setup_script.sh');
    fake.log(pod.metadata.name, 'setting up');
    for (let i = 0; i < 200 && !seen.includes('setting up'); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    fake.endContainer(pod.metadata.name, 0);
    fake.setPodStatus(pod.metadata.name, terminated(0, JSON.stringify({ 'containerimage.digest': DIGEST, 'image.name': 'registry.example.com/team/berth-env:x' })));
    const result = await running;
    assert.deepEqual(result, {
      image: `registry.example.com/team/berth-env@${DIGEST}`,
      digest: DIGEST,
      tag: 'registry.example.com/team/berth-env:766907b5-9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50-3',
      jobName: 'berth-build-766907b5-9d4a5f3e-3',
    });
    assert.deepEqual(seen, ['#5 [2/3] RUN bash /tmp/berth-build/setup_script.sh', 'setting up']);
    assert.deepEqual(fake.objects('configmaps'), [], 'the ConfigMap is removed after the build');
    assert.deepEqual(fake.objects('jobs').map((j) => j.metadata.name), ['berth-build-766907b5-9d4a5f3e-3']);
  });

  it('fails with the exit code and the last log lines when the setup script fails', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    fake.podStatus = () => terminated(1, 'process "/bin/sh -c bash /tmp/berth-build/setup_script.sh" did not complete successfully: exit code: 3');
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    await assert.rejects(runBuildJob(clients, input, { pollMs: 20 }), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_BUILD_FAILED');
      assert.match(error.message, /^environment 9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50 build 3 \(job berth-build-766907b5-9d4a5f3e-3, namespace berth\) failed \(exit code 1, Error\)/);
      assert.equal(error.hint, 'fix the setup script or the base image of the environment and build again');
      return true;
    });
  });

  it('fails within seconds when the builder image cannot be pulled, naming the setting to change', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    fake.podStatus = () => ({ phase: 'Pending', containerStatuses: [{ name: 'buildkit', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "moby/buildkit:v0.23.2-rootless"' } } }] });
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    await assert.rejects(runBuildJob(clients, input, { pollMs: 20 }), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_BUILD_FAILED');
      assert.match(error.message, /cannot start: ImagePullBackOff: Back-off pulling image "moby\/buildkit:v0.23.2-rootless"$/);
      assert.match(error.hint ?? '', /BERTH_K8S_BUILDKIT_IMAGE/);
      return true;
    });
    assert.deepEqual(fake.objects('configmaps'), [], 'the build files are removed');
  });

  it('cancelling deletes the Job', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const controller = new AbortController();
    const running = runBuildJob(clients, input, { pollMs: 20, signal: controller.signal });
    for (let i = 0; i < 200 && fake.objects('jobs').length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await assert.rejects(running, { code: 'BERTH_RUNTIME_BUILD_CANCELLED' });
    assert.deepEqual(fake.objects('jobs'), []);
  });
});
