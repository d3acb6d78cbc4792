/**
 * What a real cluster does to Berth, played by the fake API server (issue 19, items 2-6 and 8):
 * sidecars listed before Berth's container, a pod replaced by its ReplicaSet, a Job failed past
 * its deadline or whose pod was never created, a pod that vanished, transient API errors (503,
 * 429 with Retry-After, a reset connection), Unschedulable and a first ErrImagePull that clear up,
 * a refused watch and admission refusals. Each test failed on the code before these fixes (a hang
 * is bounded by `settles`) and passes after.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServicePlan } from '../src/plan/index.ts';
import { RuntimeError, type TaskSpec } from '../src/runtime/index.ts';
import { createKubernetesRuntime } from '../src/runtime/kubernetes/index.ts';
import { apiError, createKubernetesClients, loadKubeConfig, retryDelay } from '../src/runtime/kubernetes/client.ts';
import { runBuildJob, type BuildJobInput } from '../src/runtime/kubernetes/build-job.ts';
import { runTaskPod } from '../src/runtime/kubernetes/task.ts';
import { FAULTS, runningStatus, startFakeApiServer, unschedulableStatus, waitingStatus } from '../src/runtime/kubernetes/fake-api-server.ts';
import type { ManifestOptions } from '../src/runtime/kubernetes/manifests.ts';
import { writePipeline } from './support/berth.ts';
import { inspectUntil, redisPlan as sharedRedisPlan, setupKubernetesRuntime, setupKubernetesServer, until } from './support/kubernetes.ts';

const INSTALLATION = 'inst-faults';
const PODS = '/api/v1/namespaces/berth/pods';
const options: ManifestOptions = { namespace: 'berth', installationId: INSTALLATION, projectClaim: 'berth-projects', dataClaim: 'berth-data', projectsMountPath: '/projects' };

const redisPlan = (): ServicePlan => sharedRedisPlan(INSTALLATION);
const setup = (t: { after(fn: () => unknown): void }) => setupKubernetesRuntime(t, INSTALLATION);

/** The old code looped forever in some of these cases: a bound turns that hang into a failure. */
async function settles<T>(what: string, work: Promise<T>, ms = 15_000): Promise<T> {
  const timer = sleep(ms, 'hang' as const, { ref: false });
  const result = await Promise.race([work, timer]);
  if (result === 'hang') assert.fail(`${what} did not end within ${ms / 1000} s`);
  return result as T;
}

function stepTask(name = 'berth-step-aaaaaaaaaaaa-bbbbbbbbbbbb'): TaskSpec {
  return {
    name,
    sessionUuid: 'run-session',
    image: 'registry.example.com/env@sha256:' + 'a'.repeat(64),
    argv: ['python3', 'train.py'],
    workingDir: '/project-dir',
    env: {},
    mounts: [{ source: 'project', hostPath: '/projects/p', target: '/project-dir' }],
    files: [],
    labels: { 'berth.installation': INSTALLATION, 'berth.project': 'p-1', 'berth.run': 'r-1', 'berth.step': 's-1' },
  };
}

function terminated(exitCode: number): Record<string, unknown> {
  return { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } } }] };
}

const buildInput: BuildJobInput = {
  namespace: 'berth',
  installationId: INSTALLATION,
  projectUuid: '766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b',
  environmentUuid: '9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50',
  build: 1,
  dockerfile: 'FROM localhost/debian:bookworm\n',
  setupScript: 'true\n',
  repository: 'registry.example.com/team/berth-env',
  projectClaim: 'berth-projects',
  projectSubPath: 'projects/766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b',
};

describe('a cluster that evicts, replaces, throttles and refuses (fake API server)', () => {
  it('item 6: finds the service and step containers by name when a sidecar is listed first', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    fake.sidecars = ['istio-proxy'];
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    assert.deepEqual((pod.status.containerStatuses as { name: string }[]).map((s) => s.name), ['istio-proxy', 'redis'], 'the kubelet lists statuses by name');
    fake.setPodStatus(pod.metadata.name, waitingStatus('CrashLoopBackOff', 'back-off 10s restarting failed container=redis', 1, 1));
    const crashed = await inspectUntil(runtime, ref, (s) => s.state !== 'running');
    assert.deepEqual(crashed, { state: 'waiting', reason: 'CrashLoopBackOff: back-off 10s restarting failed container=redis (last exit code 1, Error)', fatal: true });

    // A step pod ends when its own container ends, while the sidecar still runs.
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const task = stepTask();
    const running = runTaskPod(clients, task, options, { logFile: join(logDir, 'step.log'), signal: new AbortController().signal });
    const step = await until('the step pod', () => fake.pod(task.name));
    fake.setPodStatus(step.metadata.name, terminated(0));
    assert.deepEqual(await settles('the step with a sidecar', running), { exitCode: 0 });
  });

  it('item 2: a pod replaced by its ReplicaSet is not a failure: the service is starting until the new pod is ready, and the log says so', async (t) => {
    const server = await setupKubernetesServer(t, {});
    const { fake, projectDir, client } = server;
    await writePipeline(projectDir, 'svc.orchest', { services: { redis: { image: 'localhost/redis:7', command: 'redis-server', ports: [6379], readiness: { type: 'none' } } } });
    const { session } = await client.startSession('envproj', 'svc.orchest');
    const settled = await server.server.sessions.waitSettled(session.uuid, 20_000);
    assert.equal(settled.status, 'running');
    const first = await until('the redis pod', () => fake.pod('redis-'));
    fake.log(first.metadata.name, 'first pod: ready');
    const logFile = server.server.sessions.logFile(session.uuid, 'redis');
    await until('the first line in the log', () => (readFileSync(logFile, 'utf8').includes('first pod: ready') ? true : undefined));
    const statuses: string[] = [];
    server.server.sessions.on('event', (event) => {
      if (event.type === 'service' && event.service === 'redis') statuses.push(event.status);
    });

    // Eviction (drain, node upgrade): the pod goes Terminating, its ReplicaSet makes a new Pending one.
    const second = fake.replacePod(first.metadata.name);
    assert.equal(fake.objects('pods').find((p) => p.metadata.name === first.metadata.name)?.metadata.deletionTimestamp !== undefined, true, 'the old pod is Terminating');
    const redis = () => server.server.sessions.get(session.uuid).services.find((s) => s.name === 'redis');
    const during = await until('redis starting again', () => (redis()?.status === 'starting' ? redis() : undefined));
    assert.match(during?.reason ?? '', /not ready again: /);
    assert.notEqual(server.server.sessions.get(session.uuid).status, 'failed', 'the replacement is not a failure');
    await sleep(1500); // still Pending: nothing fails, nothing claims it is ready
    assert.equal(redis()?.status, 'starting');

    fake.setPodStatus(second, runningStatus());
    fake.log(second, 'second pod: ready');
    await until('redis ready again', () => (redis()?.status === 'ready' ? true : undefined));
    assert.equal(server.server.sessions.get(session.uuid).status, 'running');
    assert.deepEqual(statuses, ['starting', 'ready']);
    const text = await until('the second pod in the log', () => {
      const now = readFileSync(logFile, 'utf8');
      return now.includes('second pod: ready') ? now : undefined;
    });
    assert.match(text, new RegExp(`first pod: ready\\n--- berth: redis restarting \\([^\\n]*\\); waiting for it to be ready again ---\\n--- berth: redis pod replaced by Kubernetes \\(now pod ${second}\\) ---\\nsecond pod: ready\\n`));
  });

  it('item 3: a build whose Job failed past its deadline, or whose pod was never created, fails with the reason', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    fake.podStatus = () => waitingStatus('ContainerCreating', '');
    const deadline = runBuildJob(clients, buildInput, { pollMs: 20 });
    await until('the build pod', () => fake.pod('berth-build-'));
    fake.failJob('berth-build-766907b5-9d4a5f3e-1', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    await assert.rejects(settles('the build past its deadline', deadline), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_BUILD_FAILED');
      assert.match(error.message, /cannot start: its Job failed: DeadlineExceeded: Job was active longer than specified deadline$/);
      return true;
    });

    // PodSecurity refuses the builder pod: the Job controller records FailedCreate and retries, no pod ever exists.
    const refused = runBuildJob(clients, { ...buildInput, build: 2 }, { pollMs: 20, startTimeoutMs: 1000 });
    const pod = await until('the second build pod', () => fake.pod('berth-build-766907b5-9d4a5f3e-2'));
    await clients.core.deleteNamespacedPod({ name: pod.metadata.name, namespace: 'berth' });
    fake.event('berth-build-766907b5-9d4a5f3e-2', 'FailedCreate', 'Error creating: pods "berth-build-766907b5-9d4a5f3e-2-x" is forbidden: violates PodSecurity "baseline:latest": seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")');
    await assert.rejects(settles('the build without a pod', refused), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.match(error.message, /it did not start within 1 s; last: FailedCreate: Error creating: .* violates PodSecurity "baseline:latest"/);
      return true;
    });
  });

  it('item 3: a step whose pod vanished while it ran fails with the reason instead of waiting forever', async (t) => {
    const { fake, logDir } = await setup(t);
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const task = stepTask();
    const running = runTaskPod(clients, task, options, { logFile: join(logDir, 'step.log'), signal: new AbortController().signal });
    await until('the step pod', () => fake.pod(task.name));
    await sleep(300);
    await clients.core.deleteNamespacedPod({ name: task.name, namespace: 'berth' }); // evicted
    const result = await settles('the step whose pod vanished', running);
    assert.deepEqual(result, { exitCode: null, reason: `step pod ${task.name} (namespace berth) cannot start: its pod disappeared while it ran (evicted, its node lost, or deleted)` });
  });

  it('item 4: a 503, a 429 with Retry-After and a reset connection do not fail a running step or an inspect', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const task = stepTask();
    const running = runTaskPod(clients, task, options, { logFile: join(logDir, 'step.log'), signal: new AbortController().signal });
    await until('the step pod', () => fake.pod(task.name));
    fake.inject('GET', PODS, FAULTS.leaderChanged());
    fake.inject('GET', PODS, FAULTS.throttled(1));
    fake.inject('GET', PODS, FAULTS.reset());
    const listsBefore = fake.requests.filter((r) => r.path === PODS && r.method === 'GET' && r.query.watch !== 'true').length;
    await until('the faults answered', () => (fake.requests.filter((r) => r.path === PODS && r.method === 'GET' && r.query.watch !== 'true').length >= listsBefore + 4 ? true : undefined));
    fake.setPodStatus(task.name, terminated(0));
    assert.deepEqual(await settles('the step through transient errors', running), { exitCode: 0 });

    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await runtime.close(); // no watch: inspect asks the API
    fake.inject('GET', `/apis/apps/v1/namespaces/berth/deployments/${ref.id}`, FAULTS.leaderChanged(), { times: 2 });
    const again = createKubernetesRuntime({ namespace: 'berth', kubeconfig: fake.kubeconfig, installationId: INSTALLATION, projectClaim: 'p', dataClaim: 'd' });
    t.after(() => again.close());
    assert.equal((await again.inspect(ref)).state, 'running');

    // What is an answer is not retried.
    assert.equal(retryDelay({ code: 404, body: '{"message":"not found"}' }, 0), undefined);
    assert.equal(retryDelay({ code: 422, body: '{"message":"invalid"}' }, 0), undefined);
    assert.equal(retryDelay({ code: 429, body: '{}', headers: { 'retry-after': '3' } }, 0), 3000);
    assert.equal(retryDelay({ code: 503, body: '{}' }, 2), 800);
  });

  it('item 5: Unschedulable waits within the readiness deadline, schedules later, and a timeout quotes the scheduler', async (t) => {
    const server = await setupKubernetesServer(t, {});
    const { fake, projectDir, client } = server;
    fake.podStatus = () => unschedulableStatus('0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available.');
    await writePipeline(projectDir, 'gpu.orchest', {
      services: {
        late: { image: 'localhost/trainer:1', command: 'serve', ports: [8080], readiness: { type: 'none', timeout_seconds: 30 } },
        never: { image: 'localhost/trainer:1', command: 'serve', ports: [8080], readiness: { type: 'none', timeout_seconds: 2 } },
      },
    });
    const { session } = await client.startSession('envproj', 'gpu.orchest');
    const late = await until('the late pod', () => fake.pod('late-'));
    await sleep(1000); // still Unschedulable: nothing failed
    assert.equal(server.server.sessions.get(session.uuid).services.find((s) => s.name === 'late')?.status === 'failed', false);
    fake.setPodStatus(late.metadata.name, runningStatus()); // the autoscaler's node arrived
    const settled = await server.server.sessions.waitSettled(session.uuid, 20_000);
    const byName = Object.fromEntries(settled.services.map((s) => [s.name, s]));
    assert.equal(byName.late?.status, 'ready');
    assert.equal(byName.never?.status, 'failed');
    assert.match(byName.never?.reason ?? '', /was not ready after 2 s: .*last attempt: Unschedulable: 0\/3 nodes are available: 3 Insufficient nvidia\.com\/gpu/);
  });

  it('item 8: a refused watch is not synced (the start says so, inspect lists instead); admission 403s are not RBAC', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    fake.inject('GET', PODS, FAULTS.rbac('watch', 'pods'), { watch: true, times: Infinity });
    const progress: string[] = [];
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log'), onProgress: (line) => progress.push(line) });
    assert.ok(progress.some((line) => /the watch of pods \(berth\.installation=inst-faults\) was refused: HTTP 403/.test(line)), progress.join('\n'));
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    fake.setPodStatus(pod.metadata.name, waitingStatus('CrashLoopBackOff', 'back-off', 1, 2));
    assert.equal((await inspectUntil(runtime, ref, (s) => s.state === 'waiting')).state, 'waiting');

    // A quota or PodSecurity refusal names the admission check, not the Role.
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    fake.inject('POST', PODS, FAULTS.admission('pods "x" is forbidden: exceeded quota: compute, requested: limits.memory=4Gi, used: limits.memory=8Gi, limited: limits.memory=10Gi'));
    fake.inject('POST', PODS, FAULTS.rbac('create', 'pods'));
    for (const expected of ['BERTH_RUNTIME_ADMISSION_REFUSED', 'BERTH_RUNTIME_FORBIDDEN']) {
      const error = await clients.core.createNamespacedPod({ namespace: 'berth', body: { metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } } }).then(
        () => assert.fail('the fault was not answered'),
        (cause: unknown) => apiError('create pod x', 'berth', cause),
      );
      assert.equal(error.code, expected);
      if (expected === 'BERTH_RUNTIME_ADMISSION_REFUSED') assert.match(error.hint ?? '', /admission check of namespace berth refused it/);
      else assert.match(error.hint ?? '', /role\.yaml/);
    }
  });
});
