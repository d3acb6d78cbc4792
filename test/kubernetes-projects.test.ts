/**
 * Issue 19, item 7: on the kubernetes runtime a project created through the API (the UI's "Create a
 * new project") lands on the projects claim's mount, not in `<data-dir>/projects`, so its services
 * can mount it and its sessions start (before: BERTH_RUNTIME_PROJECT_OUTSIDE_CLAIM).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { writePipeline } from './support/berth.ts';
import { setupKubernetesServer, until } from './support/kubernetes.ts';

interface ShownDeployment {
  metadata: { name: string };
  spec: { template: { spec: { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[]; containers: { volumeMounts?: { name: string; subPath?: string; mountPath: string }[] }[] } } };
}

test('a project created through the API lives on the projects claim and starts a session', async (t) => {
  const server = await setupKubernetesServer(t, {});
  const { client, fake, projectsRoot, dataDir } = server;

  const { project } = await client.createProject('fresh');
  assert.equal(project.path, join(realpathSync(projectsRoot), 'fresh'), 'created under the claim\'s mount (BERTH_K8S_PROJECTS_MOUNT)');
  assert.equal(existsSync(join(dataDir, 'projects', 'fresh')), false, 'not in the data directory');

  // A service added to the new project's pipeline, as the UI's editor would save it.
  // Its project directory bound into the service: what needs the claim.
  await writePipeline(project.path, 'main.orchest', {
    services: { redis: { image: 'localhost/redis:7', command: 'redis-server', ports: [6379], binds: { '/project-dir': '/project' }, readiness: { type: 'none' } } },
  });
  const { session } = await client.startSession('fresh', 'main.orchest');
  const settled = await server.server.sessions.waitSettled(session.uuid, 20_000);
  assert.equal(settled.status, 'running', `the session started (${settled.reason ?? ''})`);

  const deployment = await until('the redis Deployment', () => fake.objects('deployments').find((d) => d.metadata.name.startsWith('redis-')) as unknown as ShownDeployment | undefined);
  const spec = deployment.spec.template.spec;
  const mount = spec.containers[0]?.volumeMounts?.find((m) => spec.volumes.find((v) => v.name === m.name)?.persistentVolumeClaim?.claimName === 'berth-projects');
  assert.ok(mount, `the service mounts the projects claim: ${JSON.stringify(spec)}`);
  assert.equal(mount.subPath, 'fresh', 'its project directory, relative to the claim');
});

test("a kubernetes server lists a pipeline whose env names its API server would refuse as invalid, naming the field", async (t) => {
  const { client, projectsRoot } = await setupKubernetesServer(t, {});
  const { project } = await client.createProject('digits');
  assert.ok(project.path.startsWith(realpathSync(projectsRoot)));
  await writePipeline(project.path, 'main.orchest', {
    services: { redis: { image: 'localhost/redis:7', command: 'redis-server', ports: [6379], env_variables: { '1ST_NAME': 'x' }, readiness: { type: 'none' } } },
  });
  const { pipelines } = await client.listPipelines('digits');
  const main = pipelines.find((p) => p.path === 'main.orchest');
  assert.equal(main?.valid, false);
  assert.deepEqual(main?.diagnostics.filter((d) => d.severity === 'error').map((d) => d.path), ['services.redis.env_variables["1ST_NAME"]']);
});
