/**
 * The fake API server as strict as kube-apiserver (issue 19, "What to build" 1), and the runtime
 * correct against it: Deployment → ReplicaSet → pods, pods Terminating through their grace period,
 * foreground deletes answered 202, resourceVersions that watches resume from (410 Gone once
 * compacted, BOOKMARKs, timeouts), exec on v5.channel.k8s.io, and 422 `Invalid` with the field of
 * each cause. Each test failed against the earlier fake (or the runtime before its fix).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, type TaskSpec } from '../src/runtime/index.ts';
import type { ManifestOptions } from '../src/runtime/kubernetes/manifests.ts';
import { runTaskPod } from '../src/runtime/kubernetes/task.ts';
import { createKubernetesClients, kubeStatus, loadKubeConfig } from '../src/runtime/kubernetes/client.ts';
import { notReadyStatus, runningStatus, startFakeApiServer, waitingStatus, type FakeApiServer } from '../src/runtime/kubernetes/fake-api-server.ts';
import { validatePipeline } from '../src/spec/index.ts';
import { templatesPipeline } from '../src/plan/fixtures.ts';
import { inspectUntil, redisPlan as sharedRedisPlan, setupKubernetesRuntime, until } from './support/kubernetes.ts';

const INSTALLATION = 'inst-strict';
const NS = '/api/v1/namespaces/berth';
const APPS = '/apis/apps/v1/namespaces/berth';

const redisPlan = () => sharedRedisPlan(INSTALLATION);
const options: ManifestOptions = { namespace: 'berth', installationId: INSTALLATION, projectClaim: 'berth-projects', dataClaim: 'berth-data', projectsMountPath: '/projects' };
const stepTask: TaskSpec = {
  name: 'berth-step-strict',
  sessionUuid: 'run-session',
  image: 'registry.example.com/env@sha256:' + 'a'.repeat(64),
  argv: ['python3', 'train.py'],
  workingDir: '/project-dir',
  env: {},
  mounts: [{ source: 'project', hostPath: '/projects/p', target: '/project-dir' }],
  files: [],
  labels: { 'berth.installation': INSTALLATION, 'berth.project': 'p-1', 'berth.run': 'r-1', 'berth.step': 's-1' },
};
const setup = (t: { after(fn: () => unknown): void }) => setupKubernetesRuntime(t, INSTALLATION);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API bodies read field by field

/** One raw API call, as kubectl would make it. */
async function call(fake: FakeApiServer, method: string, path: string, body?: unknown): Promise<{ code: number; body: Json }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: 'Bearer fake-token', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { code: response.status, body: (await response.json()) as Json };
}

/** Reads a watch stream until it ends (or `ms` pass): its events, in order. */
async function watchEvents(fake: FakeApiServer, path: string, ms = 3000): Promise<{ type: string; object: Json }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const events: { type: string; object: Json }[] = [];
  try {
    const response = await fetch(`${fake.url}${path}`, { headers: { authorization: 'Bearer fake-token' }, signal: controller.signal });
    const text = await response.text();
    for (const line of text.split('\n').filter(Boolean)) events.push(JSON.parse(line) as { type: string; object: Json });
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

function pod(name: string, env: { name: string; value: string }[] = []): Json {
  return { metadata: { name, labels: { app: 'x' } }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'x', env }] } };
}

describe('a fake API server as strict as kube-apiserver, and the runtime against it', () => {
  it('a Deployment owns a ReplicaSet that owns its pod; an eviction goes Terminating and the ReplicaSet replaces the pod', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const [deployment] = fake.objects('deployments');
    const [replicaSet] = fake.objects('replicasets');
    assert.ok(deployment && replicaSet);
    assert.deepEqual(replicaSet.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [['Deployment', deployment.metadata.name, deployment.metadata.uid, true]]);
    const first = fake.pod(ref.id);
    assert.ok(first);
    assert.deepEqual(first.metadata.ownerReferences?.map((o) => [o.kind, o.name]), [['ReplicaSet', replicaSet.metadata.name]]);
    assert.equal(first.metadata.labels?.['pod-template-hash'], replicaSet.metadata.name.slice(deployment.metadata.name.length + 1));

    fake.terminatingMs = 2000;
    const second = fake.replacePod(first.metadata.name);
    const old = fake.objects('pods').find((p) => p.metadata.name === first.metadata.name);
    assert.ok(old?.metadata.deletionTimestamp, 'the evicted pod is Terminating, still listed');
    assert.deepEqual(fake.objects('pods').find((p) => p.metadata.name === second)?.metadata.ownerReferences?.map((o) => o.name), [replicaSet.metadata.name]);
    // The runtime reads the new pod (Pending), not the Terminating one whose container still runs.
    assert.deepEqual(await inspectUntil(runtime, ref, (s) => s.state === 'waiting'), { state: 'waiting', reason: 'ContainerCreating', fatal: false });
    await until('the evicted pod gone', () => (fake.objects('pods').some((p) => p.metadata.name === first.metadata.name) ? undefined : true));
  });

  it('a replacement pod that runs but is not Ready yet is a wait, not the service running', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const first = fake.pod(ref.id);
    assert.ok(first);
    const second = fake.replacePod(first.metadata.name, notReadyStatus());
    assert.deepEqual(await inspectUntil(runtime, ref, (s) => s.state === 'waiting'), {
      state: 'waiting',
      reason: `pod ${first.metadata.name} replaced by Kubernetes; pod ${second} runs, its readinessProbe has not passed yet`,
      fatal: false,
    });
    fake.setPodStatus(second, runningStatus());
    assert.equal((await inspectUntil(runtime, ref, (s) => s.state === 'running')).state, 'running');
    // The same pod not Ready again later (its probe failing for a while) is not a replacement: the kubelet's verdict stays the readiness check's.
    fake.setPodStatus(second, notReadyStatus());
    await sleep(200);
    assert.equal((await runtime.inspect(ref)).state, 'running');
  });

  it('deletes are asynchronous: pods Terminate through their grace period, a foreground delete answers 202, and stop waits for all of it', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    fake.terminatingMs = 700;
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    await runtime.stop(ref);
    assert.deepEqual(['deployments', 'replicasets', 'pods', 'services'].map((r) => fake.objects(r).length), [0, 0, 0, 0], 'stop returned only once everything was gone');
    const deleteCall = fake.requests.find((r) => r.method === 'DELETE' && r.path === `${APPS}/deployments/${ref.id}`);
    assert.equal(deleteCall?.query.propagationPolicy, 'Foreground');

    // The same, as the API answers it.
    const created = await call(fake, 'POST', `${APPS}/deployments`, { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] } } } });
    assert.equal(created.code, 201);
    await until('the web pod', () => fake.pod('web-'));
    const foreground = await call(fake, 'DELETE', `${APPS}/deployments/web?propagationPolicy=Foreground`);
    assert.equal(foreground.code, 202);
    assert.ok(foreground.body.metadata.deletionTimestamp);
    assert.deepEqual(foreground.body.metadata.finalizers, ['foregroundDeletion']);
    assert.equal((await call(fake, 'GET', `${APPS}/deployments/web`)).code, 200, 'still there while its pods terminate');
    await until('the web deployment gone', async () => ((await call(fake, 'GET', `${APPS}/deployments/web`)).code === 404 ? true : undefined));
    assert.equal(fake.pod('web-'), undefined);

    const direct = await call(fake, 'POST', `${NS}/pods`, pod('lone'));
    assert.equal(direct.code, 201);
    const deleted = await call(fake, 'DELETE', `${NS}/pods/lone`);
    assert.equal(deleted.code, 200);
    assert.equal(deleted.body.metadata.deletionGracePeriodSeconds, 5);
    assert.equal((await call(fake, 'GET', `${NS}/pods/lone`)).body.metadata.deletionTimestamp, deleted.body.metadata.deletionTimestamp);
    await until('the lone pod gone', async () => ((await call(fake, 'GET', `${NS}/pods/lone`)).code === 404 ? true : undefined));

    // A Job deleted through the API without a policy orphans its pods (batch/v1's default).
    await call(fake, 'POST', '/apis/batch/v1/namespaces/berth/jobs', { metadata: { name: 'once' }, spec: { template: { metadata: { labels: { app: 'once' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'once', image: 'x' }] } } } });
    const jobPod = await until('the job pod', () => fake.pod('once-'));
    assert.equal((await call(fake, 'DELETE', '/apis/batch/v1/namespaces/berth/jobs/once')).code, 200);
    await sleep(100);
    assert.deepEqual(fake.objects('pods').find((p) => p.metadata.name === jobPod.metadata.name)?.metadata.ownerReferences, []);
  });

  it('resourceVersion grows with every write; watches replay from it, send BOOKMARKs, end on timeoutSeconds, and answer 410 Expired once compacted', async (t) => {
    const fake = await startFakeApiServer();
    t.after(() => fake.close());
    const before = fake.resourceVersion;
    const a = await call(fake, 'POST', `${NS}/configmaps`, { metadata: { name: 'a' }, data: { k: 'v' } });
    const b = await call(fake, 'POST', `${NS}/configmaps`, { metadata: { name: 'b' }, data: { k: 'v' } });
    assert.ok(Number(a.body.metadata.resourceVersion) > before && Number(b.body.metadata.resourceVersion) > Number(a.body.metadata.resourceVersion));
    const list = await call(fake, 'GET', `${NS}/configmaps`);
    assert.equal(list.body.metadata.resourceVersion, b.body.metadata.resourceVersion);
    await call(fake, 'DELETE', `${NS}/configmaps/a`);

    const replayed = await watchEvents(fake, `${NS}/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1`);
    assert.deepEqual(replayed.map((e) => [e.type, e.object.metadata.name ?? '']), [['ADDED', 'b'], ['DELETED', 'a'], ['BOOKMARK', '']], 'what changed since, then a bookmark as the timeout ends it');
    assert.equal(replayed.at(-1)?.object.metadata.resourceVersion, String(fake.resourceVersion));

    fake.compact();
    const expired = await watchEvents(fake, `${NS}/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    assert.deepEqual(expired.map((e) => [e.type, e.object.code, e.object.reason]), [['ERROR', 410, 'Expired']]);
    const exact = await call(fake, 'GET', `${NS}/configmaps?resourceVersion=${a.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(exact.code, 410);
  });

  it('the runtime resumes its pod watch from the last version seen, and lists again after 410 Gone', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    const podCalls = () => fake.requests.filter((r) => r.path === `${NS}/pods` && r.method === 'GET');
    const lists = () => podCalls().filter((r) => r.query.watch !== 'true').length;
    const watches = () => podCalls().filter((r) => r.query.watch === 'true');
    await sleep(1100); // a watch the server ends at once is not resumed at once
    fake.bookmarks();
    await sleep(100);
    const listed = lists();
    const version = fake.resourceVersion;
    fake.closeWatches();
    await until('a second watch', () => (watches().length >= 2 ? true : undefined));
    assert.equal(watches()[1]?.query.resourceVersion, String(version), 'resumed from the bookmark');
    assert.equal(lists(), listed, 'no list to resume');
    assert.equal(watches()[1]?.query.allowWatchBookmarks, 'true');

    // Something else changed and the history was compacted: resuming answers 410, the runtime lists again.
    await call(fake, 'POST', `${NS}/configmaps`, { metadata: { name: 'other' } });
    fake.compact();
    await sleep(1100);
    fake.closeWatches();
    await until('a list after the 410', () => (lists() > listed ? true : undefined));
    await until('a watch from the new list', () => (watches().length >= 4 ? true : undefined));
    const current = fake.pod(ref.id);
    assert.ok(current);
    fake.setPodStatus(current.metadata.name, waitingStatus('CreateContainerConfigError', 'secret "db" not found'));
    assert.deepEqual(await inspectUntil(runtime, ref, (s) => s.state === 'waiting'), { state: 'waiting', reason: 'CreateContainerConfigError: secret "db" not found', fatal: true });
  });

  it('exec speaks v5.channel.k8s.io when offered, v4 otherwise', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const ref = await runtime.start(redisPlan(), { logFile: join(logDir, 'redis.log') });
    await inspectUntil(runtime, ref, (s) => s.state === 'running');
    fake.exec = () => ({ output: 'PONG\n', stderr: 'warning\n', exitCode: 0 });
    assert.deepEqual(await runtime.exec(ref, ['redis-cli', 'ping']), { exitCode: 0, output: 'PONG\nwarning\n' });
    assert.deepEqual(fake.execProtocols, ['v5.channel.k8s.io']);
  });

  it('validates like the API server: 422 Invalid with each cause\'s field; a leading-digit env name is refused before anything is created', async (t) => {
    const { fake, runtime, logDir } = await setup(t);
    const refused = await call(fake, 'POST', `${NS}/pods`, pod('Bad_Name', [{ name: '1ST', value: 'x' }, { name: 'OK', value: 'y' }]));
    assert.equal(refused.code, 422);
    assert.equal(refused.body.reason, 'Invalid');
    assert.deepEqual(refused.body.details.causes.map((c: Json) => c.field), ['metadata.name', 'spec.containers[0].env[0].name']);
    assert.match(refused.body.message, /^Pod "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const service = await call(fake, 'POST', `${NS}/services`, { metadata: { name: '9lives', labels: { 'berth.io/x': 'v'.repeat(64) } }, spec: { ports: [{ port: 1 }] } });
    assert.deepEqual(service.body.details.causes.map((c: Json) => c.field), ['metadata.name', 'metadata.labels']);
    const mismatch = await call(fake, 'POST', `${APPS}/deployments`, { metadata: { name: 'm' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'm', image: 'x' }] } } } });
    assert.deepEqual(mismatch.body.details.causes.map((c: Json) => c.field), ['spec.template.metadata.labels']);
    assert.equal(fake.objects('pods').length + fake.objects('services').length + fake.objects('deployments').length, 0);

    // The runtime refuses such a name itself, naming the pipeline field, before any object exists.
    const base = redisPlan();
    const plan = { ...base, env: [...base.env, { name: '1ST_KEY', value: 'x', source: 'service' as const }] };
    await assert.rejects(runtime.start(plan, { logFile: join(logDir, 'redis.log') }), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'BERTH_RUNTIME_BAD_ENV_NAME');
      assert.match(error.message, /^services\.redis\.env_variables\["1ST_KEY"\]: "1ST_KEY" is not an env name the kubernetes runtime can set/);
      return true;
    });
    // A step's job variables too: the step fails with the name, and no pod is created.
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const step = await runTaskPod(clients, { ...stepTask, env: { '9LIVES': 'x' } }, options, { logFile: join(logDir, 'step.log'), signal: new AbortController().signal });
    assert.equal(step.exitCode, null);
    assert.match(step.reason ?? '', /^step pod berth-step-strict: the environment variable 9LIVES \(a job, pipeline or project variable\): "9LIVES" is not an env name/);
    assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 3, 'only the three raw calls above');
    // Without the runtime's check the API server would have said so, with the field.
    const answer = await clients.core.createNamespacedPod({ namespace: 'berth', body: pod('p', [{ name: '1ST_KEY', value: 'x' }]) as never }).then(
      () => undefined,
      (error: unknown) => kubeStatus(error),
    );
    assert.equal(answer?.code, 422);
    assert.match(answer?.message ?? '', /spec\.containers\[0\]\.env\[0\]\.name: Invalid value: "1ST_KEY": a valid environment variable name/);

    // And `berth validate` for the kubernetes runtime (Orchest's own pattern allowed the name).
    const spec = templatesPipeline();
    const redis = spec.services?.redis;
    assert.ok(redis);
    redis.env_variables = { ...redis.env_variables, '1ST_KEY': 'x' };
    redis.env_variables_inherit = ['2ND'];
    assert.deepEqual(validatePipeline(spec, 'p.orchest').filter((d) => d.severity === 'error'), []);
    const kube = validatePipeline(spec, 'p.orchest', { runtime: 'kubernetes' }).filter((d) => d.severity === 'error');
    assert.deepEqual(kube.map((d) => [d.code, d.path]), [
      ['BERTH_SPEC_ENV_NAME_KUBERNETES', 'services.redis.env_variables["1ST_KEY"]'],
      ['BERTH_SPEC_ENV_NAME_KUBERNETES', 'services.redis.env_variables_inherit[0]'],
    ]);
  });
});
