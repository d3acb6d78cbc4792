/**
 * The kubernetes runtime against a fake kube-apiserver on 127.0.0.1 (no real API server can run
 * here: no cluster can be installed from the package registries this machine reaches). The fake answers only the calls the runtime makes,
 * shaped like the real server; the runtime uses the real @kubernetes/client-node over HTTP.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServicePlan } from '../src/plan/index.ts';
import { RuntimeError } from '../src/runtime/index.ts';
import { createKubernetesRuntime } from '../src/runtime/kubernetes/index.ts';
import { runningStatus, waitingStatus } from '../src/runtime/kubernetes/fake-api-server.ts';
import { inspectUntil, redisPlan as sharedRedisPlan, setupKubernetesRuntime } from './support/kubernetes.ts';

const INSTALLATION = 'inst-k8s';

const redisPlan = (overrides: Partial<ServicePlan> = {}): ServicePlan => sharedRedisPlan(INSTALLATION, overrides);
const setup = (t: { after(fn: () => unknown): void }) => setupKubernetesRuntime(t, INSTALLATION);

async function fileUntil(file: string, done: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 200; i += 1) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = '';
    }
    if (done(text)) return text;
    await sleep(25);
  }
  assert.fail(`log file never had the expected lines; it has:\n${text}`);
}

describe('kubernetes runtime (fake API server)', () => {
  it('starts, lists, inspects, stops and cleans up a service', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const base = redisPlan();
    const plan = { ...base, env: [...base.env, { name: 'REDIS_PASSWORD', value: 'from-the-project', source: 'inherited' as const }] };
    await runtime.prepareSession(plan.sessionUuid, plan.labels);
    await runtime.prepareSession(plan.sessionUuid, plan.labels); // idempotent (409 ignored)
    assert.deepEqual(fake.objects('networkpolicies').map((o) => o.metadata.name), [`berth-${plan.sessionUuid}`]);

    const ref = await runtime.start(plan, { logFile: join(logDir, 'redis.log') });
    assert.deepEqual(ref, { runtime: 'kubernetes', id: `redis-${plan.sessionUuid}`, sessionUuid: plan.sessionUuid, service: 'redis' });
    assert.deepEqual(fake.objects('deployments').map((o) => o.metadata.name), [ref.id]);
    const service = fake.objects('services')[0] as unknown as { metadata: { name: string }; spec: { ports: unknown[] } };
    assert.equal(service.metadata.name, ref.id);
    assert.deepEqual(service.spec.ports, [{ name: 'port-6379', port: 6379, targetPort: 6379, protocol: 'TCP' }]);

    const state = await inspectUntil(runtime, ref, (s) => s.state === 'running');
    assert.equal(state.state, 'running');
    assert.deepEqual(await runtime.endpoint(ref, 6379), { host: `${ref.id}.berth.svc`, port: 6379 });
    assert.equal(runtime.internalHostname(plan), `redis-${plan.sessionUuid}`);

    const listed = await runtime.list({ 'berth.session': plan.sessionUuid });
    assert.equal(listed.length, 1);
    // The exact labels come back, including the 64-character spec hash a label value cannot hold.
    assert.equal(listed[0]?.labels['berth.spec-hash'], plan.specHash);
    assert.deepEqual(listed[0]?.ref, ref);
    assert.equal(listed[0]?.state.state, 'running');
    assert.deepEqual(await runtime.list({ 'berth.session': 'another-session' }), []);

    // The inherited variable went into the service's Secret, not into the Deployment.
    const secret = fake.objects('secrets')[0] as unknown as { metadata: { name: string }; data: Record<string, string> };
    assert.equal(secret.metadata.name, ref.id);
    assert.equal(Buffer.from(secret.data.REDIS_PASSWORD ?? '', 'base64').toString(), 'from-the-project');
    assert.doesNotMatch(JSON.stringify(fake.objects('deployments')), /from-the-project/);

    await runtime.stop(ref);
    assert.deepEqual(fake.objects('secrets'), []);
    assert.deepEqual(await runtime.inspect(ref), { state: 'missing' });
    assert.deepEqual(fake.objects('deployments'), []);
    assert.deepEqual(fake.objects('services'), []);
    assert.deepEqual(fake.objects('pods'), []);
    await runtime.stop(ref); // idempotent

    await runtime.cleanupSession(plan.sessionUuid);
    assert.deepEqual(fake.objects('networkpolicies'), []);
    await runtime.cleanupSession(plan.sessionUuid); // idempotent
    // The pods were watched, not polled: one watch request for all services.
    assert.ok(fake.requests.some((r) => r.path === '/api/v1/namespaces/berth/pods' && r.query.watch === 'true' && r.query.labelSelector === `berth.installation=${INSTALLATION}`));
  });

  it('waits on a first ErrImagePull, and reports ImagePullBackOff (pulls failing again and again) as fatal with the cluster reason', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    fake.podStatus = () => waitingStatus('ErrImagePull', 'failed to pull and unpack image "registry.invalid/nope:1": not found');
    const plan = redisPlan({ image: 'registry.invalid/nope:1' });
    const ref = await runtime.start(plan, { logFile: join(logDir, 'redis.log') });
    const first = await inspectUntil(runtime, ref, (s) => s.state === 'waiting');
    // A registry hiccup clears up by itself: the kubelet retries, readiness keeps waiting.
    assert.deepEqual(first, { state: 'waiting', reason: 'ErrImagePull: failed to pull and unpack image "registry.invalid/nope:1": not found', fatal: false });
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    fake.setPodStatus(pod.metadata.name, waitingStatus('ImagePullBackOff', 'Back-off pulling image "registry.invalid/nope:1"'));
    const later = await inspectUntil(runtime, ref, (s) => s.state === 'waiting' && s.reason.startsWith('ImagePullBackOff'));
    assert.deepEqual(later, { state: 'waiting', reason: 'ImagePullBackOff: Back-off pulling image "registry.invalid/nope:1"', fatal: true });
  });

  it('reports CrashLoopBackOff as fatal with the last exit code; an unschedulable pod waits (an autoscaler may add its node)', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    fake.setPodStatus(pod.metadata.name, waitingStatus('CrashLoopBackOff', 'back-off 10s restarting failed container=redis', 2, 1));
    const crashed = await inspectUntil(runtime, ref, (s) => s.state === 'waiting');
    assert.deepEqual(crashed, { state: 'waiting', reason: 'CrashLoopBackOff: back-off 10s restarting failed container=redis (last exit code 1, Error)', fatal: true });
    fake.setPodStatus(pod.metadata.name, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }],
    });
    const pending = await inspectUntil(runtime, ref, (s) => s.state === 'waiting' && s.reason.startsWith('Unschedulable'));
    assert.deepEqual(pending, { state: 'waiting', reason: 'Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', fatal: false });
  });

  it('watches again after the server ends the watch, as kube-apiserver does every few minutes', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const watches = (): number => fake.requests.filter((r) => r.path === '/api/v1/namespaces/berth/pods' && r.query.watch === 'true').length;
    assert.equal(watches(), 1);
    fake.closeWatches();
    for (let i = 0; i < 200 && watches() < 2; i += 1) await sleep(25);
    assert.equal(watches(), 2, 'the runtime opened a new watch');
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    fake.setPodStatus(pod.metadata.name, waitingStatus('CreateContainerConfigError', 'secret "db-password" not found'));
    const state = await inspectUntil(runtime, ref, (s) => s.state === 'waiting');
    assert.deepEqual(state, { state: 'waiting', reason: 'CreateContainerConfigError: secret "db-password" not found', fatal: true });
  });

  it('runs commands in the service container (readiness `command`), with exit codes and a missing executable', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    fake.exec = (_pod, command) => {
      if (command[0] === 'pg_isready') return { error: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "pg_isready": executable file not found in $PATH: unknown' };
      if (command.join(' ') === 'env GREETING=hi sh -c echo $GREETING') return { output: 'hi\n', exitCode: 0 };
      return { output: 'not yet\n', exitCode: 3 };
    };
    assert.deepEqual(await runtime.exec(ref, ['sh', '-c', 'echo $GREETING'], { env: { GREETING: 'hi' } }), { exitCode: 0, output: 'hi\n' });
    assert.deepEqual(await runtime.exec(ref, ['redis-cli', 'ping']), { exitCode: 3, output: 'not yet\n' });
    await assert.rejects(runtime.exec(ref, ['pg_isready']), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND');
      assert.match(error.message, /^service redis: `pg_isready` does not exist in its container: /);
      return true;
    });
    const execCall = fake.requests.find((r) => r.path.endsWith('/exec'));
    assert.equal(execCall?.query.container, 'redis');
  });

  it('follows the log across a container restart and keeps the earlier lines', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const logFile = join(logDir, 'redis.log');
    const ref = await runtime.start(redisPlan(), { logFile });
    const pod = fake.pod(ref.id);
    assert.ok(pod);
    const name = pod.metadata.name;
    fake.log(name, 'first container: line 1');
    fake.log(name, 'first container: line 2');
    await fileUntil(logFile, (text) => text.includes('line 2'));
    // The container crashes; the kubelet restarts it in the same pod.
    fake.log(name, 'first container: dying');
    fake.endContainer(name, 0);
    fake.setPodStatus(name, runningStatus(1));
    fake.log(name, 'second container: hello', 1);
    const text = await fileUntil(logFile, (t2) => t2.includes('second container: hello'));
    const lines = text.trim().split('\n');
    assert.match(lines[0] ?? '', /^--- berth: redis started at .* ---$/);
    assert.deepEqual(lines.slice(1), [
      'first container: line 1',
      'first container: line 2',
      'first container: dying',
      '--- berth: redis container restarted by Kubernetes (restart 1) ---',
      'second container: hello',
    ]);
  });

  it('reads the previous container once when it restarted while nobody followed', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const logFile = join(logDir, 'redis.log');
    const plan = redisPlan();
    const ref = await runtime.start(plan, { logFile });
    const name = fake.pod(ref.id)?.metadata.name ?? '';
    fake.log(name, 'before berth restart');
    await fileUntil(logFile, (text) => text.includes('before berth restart'));
    await runtime.close(); // Berth goes away; the service keeps running

    fake.log(name, 'while berth was down');
    fake.endContainer(name, 0);
    fake.setPodStatus(name, runningStatus(1));
    fake.log(name, 'after the restart', 1);

    const again = createKubernetesRuntime({ namespace: 'berth', kubeconfig: fake.kubeconfig, installationId: INSTALLATION, projectClaim: 'p', dataClaim: 'd' });
    t.after(() => again.close());
    await again.reattachLogs?.(ref, logFile);
    const text = await fileUntil(logFile, (t2) => t2.includes('after the restart'));
    assert.deepEqual(text.trim().split('\n').slice(1), [
      'before berth restart',
      'while berth was down',
      '--- berth: redis container restarted by Kubernetes (restart 1) ---',
      'after the restart',
    ]);
  });

  it('never replaces another installation\'s objects and explains a bad kubeconfig', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const plan = redisPlan();
    // A name conflict with an object another installation owns is never resolved by deleting it.
    await runtime.start(plan, { logFile: join(logDir, 'a.log') });
    const other = createKubernetesRuntime({ namespace: 'berth', kubeconfig: fake.kubeconfig, installationId: 'someone-else', projectClaim: 'p', dataClaim: 'd' });
    t.after(() => other.close());
    await assert.rejects(other.start(plan, { logFile: join(logDir, 'b.log') }), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_NAME_CONFLICT');
      assert.equal(error.message, `a deployment named redis-${plan.sessionUuid} already exists in namespace berth and does not belong to this Berth installation`);
      return true;
    });
    const missing = join(logDir, 'missing-kubeconfig');
    assert.throws(
      () => createKubernetesRuntime({ namespace: 'berth', kubeconfig: missing, installationId: 'x', projectClaim: 'p', dataClaim: 'd' }),
      (error: unknown) => error instanceof RuntimeError && error.code === 'BERTH_RUNTIME_KUBECONFIG' && error.message.startsWith(`cannot read the kubeconfig ${missing}: `),
    );
  });
});
