/**
 * Environments on the kubernetes runtime, through Berth's API against the fake kube-apiserver:
 * a build runs as a BuildKit Job whose context is the project on the projects claim, its log
 * streams into the build record, and the session pins the pushed digest (with the registry's
 * pull secret). A failed build keeps the previous digest; without a registry the API says which
 * setting to add. BuildKit and a registry cannot run here, so the test plays the builder's pod.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from 'kubernetes-models/batch/v1';
import type { ApiClientError } from '../src/sdk/client.ts';
import { startFakeApiServer } from '../src/runtime/kubernetes/fake-api-server.ts';
import { buildJobName } from '../src/runtime/kubernetes/index.ts';
import { startTestServer, writePipeline } from './support/berth.ts';
import { waitForBuild } from './support/environments.ts';
import { DIGESTS, playBuilder, REPOSITORY, setupKubernetesServer as setup, until } from './support/kubernetes.ts';

describe('environments on the kubernetes runtime (fake API server)', () => {
  test('a build runs as a Job on the project claim, the session pins the pushed digest, a failed build keeps it', async (t) => {
    const { client, server, fake, projectDir, environment } = await setup(t, { BERTH_K8S_REGISTRY: REPOSITORY, BERTH_K8S_REGISTRY_SECRET: 'berth-registry' });
    const project = server.projects.get('envproj');

    const { build: started } = await client.startEnvironmentBuild('envproj', environment);
    assert.equal(started.number, 1);
    const jobName = buildJobName({ projectUuid: project.uuid, environmentUuid: environment, build: 1 });
    await until('the build Job', () => fake.objects('jobs').find((j) => j.metadata.name === jobName));
    const job = fake.objects('jobs').find((j) => j.metadata.name === jobName) as unknown as Job;
    new Job(job as never).validate(); // as the API server received it
    const spec = job.spec?.template.spec;
    assert.deepEqual(spec?.volumes?.find((v) => v.name === 'project')?.persistentVolumeClaim, { claimName: 'berth-projects', readOnly: true });
    assert.equal(spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'project')?.subPath, 'team/envproj', 'the project, relative to the claim mount');
    assert.ok(spec?.containers[0]?.args?.includes(`type=image,name=${REPOSITORY}:${project.uuid.slice(0, 8)}-${environment}-1,push=true`));
    const files = (fake.objects('configmaps')[0] as unknown as { data: Record<string, string> }).data;
    assert.match(files.Dockerfile ?? '', /^FROM localhost\/debian:bookworm\n/);
    assert.equal(files['setup_script.sh'], '#!/bin/bash\nset -e\necho one > /berth-version\n');

    await playBuilder(fake, jobName, ['#6 [3/3] RUN bash /tmp/berth-build/setup_script.sh', '#7 pushing layers done'], 0, DIGESTS[0]);
    const first = await waitForBuild(client, 'envproj', environment, 1, 20_000);
    assert.equal(first.status, 'succeeded', first.error ?? '');
    assert.equal(first.image, `${REPOSITORY}@${DIGESTS[0]}`);
    assert.match(first.log, /RUN bash \/tmp\/berth-build\/setup_script.sh\n#7 pushing layers done\n/);
    assert.match(first.log, new RegExp(`berth: built ${REPOSITORY}@${DIGESTS[0]}`));
    assert.deepEqual(fake.objects('configmaps'), [], 'the build files are removed afterwards');

    await writePipeline(projectDir, 'env.orchest', {
      services: { tool: { image: `environment@${environment}`, command: 'sleep', args: '3600', ports: [8080], readiness: { type: 'none' } } },
    });
    const { session } = await client.startSession('envproj', 'env.orchest');
    const running = await server.sessions.waitSettled(session.uuid, 10_000);
    assert.equal(running.status, 'running', running.reason ?? '');
    const deployment = fake.objects('deployments')[0] as unknown as { spec: { template: { spec: { containers: { image: string }[]; imagePullSecrets?: { name: string }[] } } } };
    assert.equal(deployment.spec.template.spec.containers[0]?.image, `${REPOSITORY}@${DIGESTS[0]}`);
    assert.deepEqual(deployment.spec.template.spec.imagePullSecrets, [{ name: 'berth-registry' }]);

    // A broken build: the record says why, with the log's tail; services keep the pushed digest.
    await client.startEnvironmentBuild('envproj', environment);
    await playBuilder(fake, buildJobName({ projectUuid: project.uuid, environmentUuid: environment, build: 2 }), ['installing the impossible'], 1);
    const second = await waitForBuild(client, 'envproj', environment, 2, 20_000);
    assert.equal(second.status, 'failed');
    assert.match(second.error ?? '', /failed \(exit code 1, Error\)/);
    assert.match(second.log, /installing the impossible/);
    const { environment: listed } = await client.request<{ environment: { currentImage: string } }>('GET', `/api/projects/envproj/environments/${environment}`);
    assert.equal(listed.currentImage, `${REPOSITORY}@${DIGESTS[0]}`);
    await client.stopSession(session.uuid);
  });

  test('a running build can be cancelled: the Job goes, the record says cancelled, a finished build cannot be', async (t) => {
    const { client, server, fake, environment } = await setup(t, { BERTH_K8S_REGISTRY: REPOSITORY });
    const project = server.projects.get('envproj');
    await client.startEnvironmentBuild('envproj', environment);
    const jobName = buildJobName({ projectUuid: project.uuid, environmentUuid: environment, build: 1 });
    await until('the build Job', () => fake.objects('jobs').find((j) => j.metadata.name === jobName));
    const { build } = await client.cancelEnvironmentBuild('envproj', environment, 1);
    assert.equal(build.status, 'cancelled');
    assert.match(build.log, /berth: build cancelled/);
    assert.deepEqual(fake.objects('jobs'), [], 'the build Job is deleted');
    const again = await client.cancelEnvironmentBuild('envproj', environment, 1).then(
      () => assert.fail('cancelled twice'),
      (e: unknown) => e as ApiClientError,
    );
    assert.equal(again.status, 409);
    assert.equal(again.code, 'BERTH_API_BUILD_NOT_RUNNING');
  });

  test('without a registry, a build is refused with the setting to add, and nothing is created', async (t) => {
    const { client, fake, environment } = await setup(t, {});
    const error = await client.request('POST', `/api/projects/envproj/environments/${environment}/builds`, {}).then(
      () => assert.fail('a build started without a registry'),
      (e: unknown) => e as ApiClientError,
    );
    assert.equal(error.code, 'BERTH_RUNTIME_NO_REGISTRY');
    assert.equal(error.status, 503);
    assert.match(error.hint ?? '', /BERTH_K8S_REGISTRY/);
    assert.deepEqual(fake.objects('jobs'), []);
  });

  test('a registry with a tag is refused at start, naming the variable', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    await assert.rejects(
      startTestServer(t, { runtime: 'kubernetes', env: { BERTH_KUBECONFIG: fake.kubeconfig, BERTH_K8S_NAMESPACE: 'berth', BERTH_K8S_REGISTRY: 'registry.test/berth-env:latest' } }),
      { code: 'BERTH_RUNTIME_BAD_REGISTRY', message: /^BERTH_K8S_REGISTRY is "registry.test\/berth-env:latest"/ },
    );
  });
});
