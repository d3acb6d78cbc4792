/**
 * Test support for Berth on the kubernetes runtime against the fake kube-apiserver: a server with
 * a project on the "projects claim" (a temp directory standing in for its mount) and an
 * environment, and the builder's pod played by the test (BuildKit cannot run here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { planSession, type ServicePlan } from '../../src/plan/index.ts';
import { context, templatesPipeline } from '../../src/plan/fixtures.ts';
import type { Runtime, RuntimeState } from '../../src/runtime/index.ts';
import { createKubernetesRuntime } from '../../src/runtime/kubernetes/index.ts';
import { startFakeApiServer, type FakeApiServer } from '../../src/runtime/kubernetes/fake-api-server.ts';
import { startTestServer, tempDir, writePipeline, type TestServer } from './berth.ts';
import { waitForBuild } from './environments.ts';

export const REPOSITORY = 'registry.test:5000/team/berth-env';
export const DIGESTS = [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`];

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 800; i += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function setupKubernetesServer(t: Parameters<typeof tempDir>[0], env: Record<string, string>): Promise<TestServer & { fake: FakeApiServer; projectsRoot: string; projectDir: string; environment: string }> {
  const fake = await startFakeApiServer();
  t.after(() => fake.close());
  const projectsRoot = await tempDir(t, 'berth-k8s-projects-');
  const projectDir = join(projectsRoot, 'team', 'envproj');
  const server = await startTestServer(t, {
    runtime: 'kubernetes',
    // Outside a cluster on purpose (docs/kubernetes.md, "Outside the cluster"): the fake is the cluster.
    env: { BERTH_KUBECONFIG: fake.kubeconfig, BERTH_KUBERNETES_OUT_OF_CLUSTER: '1', BERTH_K8S_NAMESPACE: 'berth', BERTH_K8S_PROJECTS_MOUNT: projectsRoot, ...env },
  });
  await writePipeline(projectDir, 'env.orchest', { services: {} });
  await server.client.addProject(projectDir, 'envproj');
  const { environment } = await server.client.request<{ environment: { uuid: string } }>('POST', '/api/projects/envproj/environments', {
    name: 'tools',
    base_image: 'localhost/debian:bookworm',
    setupScript: '#!/bin/bash\nset -e\necho one > /berth-version\n',
  });
  return { ...server, fake, projectsRoot, projectDir, environment: environment.uuid };
}

/** Plays a pod the way its container would: prints `lines`, then ends with `exitCode` and `message`. */
export async function playPod(fake: FakeApiServer, podPrefix: string, lines: string[], exitCode: number, message = ''): Promise<string> {
  const pod = await until(`a pod named ${podPrefix}…`, () => fake.pod(podPrefix));
  for (const line of lines) fake.log(pod.metadata.name, line);
  await sleep(100); // the follower reads the lines before the container ends
  fake.endContainer(pod.metadata.name, 0);
  fake.setPodStatus(pod.metadata.name, {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode, message, reason: exitCode === 0 ? 'Completed' : 'Error' } } }],
  });
  return pod.metadata.name;
}

/** BuildKit's pod of a build Job: the digest goes into the termination message, as BuildKit's metadata file. */
export function playBuilder(fake: FakeApiServer, jobName: string, lines: string[], exitCode: number, digest?: string): Promise<string> {
  const message = exitCode === 0 ? JSON.stringify({ 'containerimage.digest': digest }) : 'process "/bin/sh -c bash /tmp/berth-build/setup_script.sh" did not complete successfully: exit code: 3';
  return playPod(fake, `${jobName}-`, lines, exitCode, message);
}

/** Starts build `number` of the environment, plays its builder to success and returns the pushed image. */
export async function buildWithFake(server: TestServer & { fake: FakeApiServer; environment: string }, digest: string): Promise<string> {
  const project = server.server.projects.get('envproj');
  const { build } = await server.client.startEnvironmentBuild('envproj', server.environment);
  await playBuilder(server.fake, `berth-build-${project.uuid.slice(0, 8)}-${server.environment.slice(0, 8)}-${build.number}`, ['pushing layers done'], 0, digest);
  const record = await waitForBuild(server.client, 'envproj', server.environment, build.number, 20_000);
  if (record.status !== 'succeeded') throw new Error(`build failed: ${record.error}`);
  return record.image;
}

/** The Redis template's plan as the session manager starts it (with its spec-hash label). */
export function redisPlan(installationId: string, overrides: Partial<ServicePlan> = {}): ServicePlan {
  const plan = planSession(templatesPipeline(), context({ installationId })).services.find((s) => s.name === 'redis');
  assert.ok(plan);
  return { ...plan, labels: { ...plan.labels, 'berth.spec-hash': plan.specHash }, ...overrides };
}

/** A kubernetes runtime on a fresh fake API server; both and a log directory go with the test. */
export async function setupKubernetesRuntime(t: { after(fn: () => unknown): void }, installationId: string): Promise<{ fake: FakeApiServer; runtime: Runtime; logDir: string }> {
  const fake = await startFakeApiServer();
  const runtime = createKubernetesRuntime({ namespace: 'berth', kubeconfig: fake.kubeconfig, installationId, projectClaim: 'berth-projects', dataClaim: 'berth-data', graceMs: 1000, deleteTimeoutMs: 5000 });
  const logDir = mkdtempSync(join(tmpdir(), 'berth-k8s-logs-'));
  t.after(async () => {
    await runtime.close();
    await fake.close();
    rmSync(logDir, { recursive: true, force: true });
  });
  return { fake, runtime, logDir };
}

/** Polls inspect until `done` says so; every wait has a bound. */
export async function inspectUntil(runtime: Runtime, ref: Parameters<Runtime['inspect']>[0], done: (s: RuntimeState) => boolean): Promise<RuntimeState> {
  let last: RuntimeState = { state: 'missing' };
  for (let i = 0; i < 200; i += 1) {
    last = await runtime.inspect(ref);
    if (done(last)) return last;
    await sleep(25);
  }
  assert.fail(`inspect never reached the expected state; last: ${JSON.stringify(last)}`);
}
