import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Pod, Secret, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { planSession } from '../../plan/index.ts';
import type { ServicePlan } from '../../plan/types.ts';
import { context, ENVIRONMENT_UUID, extensionsPipeline, RUN_UUID, templatesPipeline } from '../../plan/fixtures.ts';
import { deploymentManifest, networkPolicyManifest, secretManifest, serviceManifest, type ManifestOptions } from './manifests.ts';
import { LABELS_ANNOTATION, sanitizeLabelValue } from './labels.ts';
import { toWire } from './wire.ts';
import { colocationAffinity, type Colocation } from './config.ts';
import { taskPodManifest } from './task.ts';
import type { TaskSpec } from '../types.ts';
import { RuntimeError } from '../errors.ts';

const options: ManifestOptions = { namespace: 'berth', installationId: 'inst-1', projectClaim: 'berth-projects', dataClaim: 'berth-data', fsGroup: 1000, graceMs: 5000 };

function withHash(service: ServicePlan): ServicePlan {
  return { ...service, labels: { ...service.labels, 'berth.spec-hash': service.specHash } };
}

function allPlans(): ServicePlan[] {
  const interactive = planSession(templatesPipeline(), context()).services;
  const ext = planSession(extensionsPipeline(), context({ sessionType: 'noninteractive', runUuid: RUN_UUID, environmentImages: { [ENVIRONMENT_UUID]: 'registry.example/env@sha256:' + 'a'.repeat(64) } })).services;
  return [...interactive, ...ext].map(withHash);
}

function byName(name: string): ServicePlan {
  const plan = allPlans().find((p) => p.name === name);
  assert.ok(plan, name);
  return plan;
}

describe('kubernetes manifests', () => {
  it('every Deployment, Service and NetworkPolicy validates against the Kubernetes schema', () => {
    for (const plan of allPlans()) {
      new Deployment(toWire(deploymentManifest(plan, options), 'V1Deployment') as never).validate();
      const service = serviceManifest(plan, options);
      assert.ok(service, `${plan.name} declares ports`);
      new Service(toWire(service, 'V1Service') as never).validate();
    }
    const policy = toWire(networkPolicyManifest('766907b5-cb1e-4e6f8c1a2b3c-1234-4abc', {}, options), 'V1NetworkPolicy');
    new NetworkPolicy(policy as never).validate();
    // The typed client's `_from` must be `from` on the wire.
    assert.match(JSON.stringify(policy), /"from":\[/);
  });

  it('names objects like Orchest (<name>-<session_uuid>) and labels them with sanitised values plus the exact ones', () => {
    const redis = byName('redis');
    const deployment = deploymentManifest(redis, options);
    assert.equal(deployment.metadata?.name, 'redis-766907b5-cb1e-4e6f8c1a2b3c-1234-4abc');
    const labels = deployment.metadata?.labels ?? {};
    // The spec hash is 64 hex characters; label values allow 63.
    assert.equal(labels['berth.spec-hash'], redis.specHash.slice(0, 63));
    assert.equal(JSON.parse(deployment.metadata?.annotations?.[LABELS_ANNOTATION] ?? '{}')['berth.spec-hash'], redis.specHash);
    assert.equal(labels['berth.installation'], 'inst-1');
    assert.deepEqual(deployment.spec?.selector.matchLabels, { 'berth.installation': 'inst-1', 'berth.session': redis.sessionUuid, 'berth.service': 'redis' });
    assert.equal(sanitizeLabelValue('-a b/c-'), 'a-b-c');
  });

  it('maps command, args, env, ports, mounts and the readiness probe', () => {
    const streamlit = byName('streamlit');
    const pod = deploymentManifest(streamlit, options).spec?.template.spec;
    const container = pod?.containers[0];
    assert.deepEqual(container?.command, ['bash']);
    assert.deepEqual(container?.args, ['-c', 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py']);
    assert.equal(container?.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(container?.ports, [{ name: 'port-8501', containerPort: 8501, protocol: 'TCP' }]);
    assert.ok(container?.env?.some((e) => e.name === 'ORCHEST_SESSION_UUID' && e.value === streamlit.sessionUuid));
    assert.deepEqual(container?.readinessProbe, { tcpSocket: { port: 8501 }, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 60 });
    assert.deepEqual(container?.volumeMounts, [
      { name: 'data', mountPath: '/data', subPath: 'data' },
      { name: 'project-dir', mountPath: '/usr/src/app/src', subPath: `projects/${streamlit.labels['berth.project']}` },
    ]);
    assert.deepEqual(pod?.volumes, [
      { name: 'data', persistentVolumeClaim: { claimName: 'berth-data' } },
      { name: 'project-dir', persistentVolumeClaim: { claimName: 'berth-projects' } },
    ]);
    assert.deepEqual(pod?.securityContext, { runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch' });
    assert.equal(pod?.terminationGracePeriodSeconds, 5);

    // ORCHEST_* wins over the service's own attempt to set it, and appears once.
    const app = deploymentManifest(byName('app'), options).spec?.template.spec?.containers[0];
    assert.equal(app?.env?.filter((e) => e.name === 'ORCHEST_SESSION_UUID').length, 1);
    assert.equal(app?.env?.find((e) => e.name === 'ORCHEST_SESSION_UUID')?.value, RUN_UUID);
    // preserve_base_path: the service answers under its prefix, so the probe asks there.
    assert.deepEqual(app?.readinessProbe?.httpGet, { path: `/pbp-service-app-${RUN_UUID}_8000/`, port: 8000 });
    assert.match(app?.image ?? '', /@sha256:/);
    assert.deepEqual(deploymentManifest(byName('db'), options).spec?.template.spec?.containers[0]?.readinessProbe?.exec, { command: ['pg_isready', '-U', 'app'] });
    assert.equal(deploymentManifest(byName('worker'), options).spec?.template.spec?.containers[0]?.readinessProbe, undefined);
    const service = serviceManifest(byName('app'), options);
    assert.deepEqual(service?.spec?.ports, [
      { name: 'port-8000', port: 8000, targetPort: 8000, protocol: 'TCP' },
      { name: 'port-9100', port: 9100, targetPort: 9100, protocol: 'TCP' },
    ]);
  });

  it('turns the resources extension into requests, limits and a GPU limit, and rejects bad quantities', () => {
    const redis = byName('redis');
    const withResources = { ...redis, spec: { ...redis.spec, resources: { cpu: '500m', memory: '1Gi', gpu: 1 } } } as ServicePlan;
    const container = deploymentManifest(withResources, options).spec?.template.spec?.containers[0];
    assert.deepEqual(container?.resources, { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' } });
    new Deployment(toWire(deploymentManifest(withResources, options), 'V1Deployment') as never).validate();
    const bad = { ...redis, spec: { ...redis.spec, resources: { memory: 'lots' } } } as ServicePlan;
    assert.throws(
      () => deploymentManifest(bad, options),
      (error: unknown) => error instanceof RuntimeError && error.code === 'BERTH_RUNTIME_BAD_RESOURCES' && error.message === 'services.redis.resources.memory is "lots", not a Kubernetes quantity',
    );
  });

  it('lets only the session and Berth reach the session', () => {
    const policy = networkPolicyManifest('sid-1', {}, options);
    assert.equal(policy.metadata?.name, 'berth-sid-1');
    assert.deepEqual(policy.spec?.podSelector.matchLabels, { 'berth.installation': 'inst-1', 'berth.session': 'sid-1' });
    assert.deepEqual(policy.spec?.ingress?.[0]?._from, [
      { podSelector: { matchLabels: { 'berth.session': 'sid-1' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'berth' } } },
    ]);
  });
  it('mounts the project from its directory on the projects claim when Berth mounts the claim', () => {
    const streamlit = byName('streamlit');
    const moved = { ...streamlit, mounts: streamlit.mounts.map((m) => (m.source === 'project' ? { ...m, hostPath: '/projects/team/services' } : m)) };
    const mounts = deploymentManifest(moved, { ...options, projectsMountPath: '/projects' }).spec?.template.spec?.containers[0]?.volumeMounts;
    assert.equal(mounts?.find((m) => m.name === 'project-dir')?.subPath, 'team/services');
    const outside = { ...streamlit, mounts: streamlit.mounts.map((m) => (m.source === 'project' ? { ...m, hostPath: '/home/me/services' } : m)) };
    assert.throws(
      () => deploymentManifest(outside, { ...options, projectsMountPath: '/projects' }),
      (error: unknown) =>
        error instanceof RuntimeError &&
        error.code === 'BERTH_RUNTIME_PROJECT_OUTSIDE_CLAIM' &&
        error.message === 'service streamlit: its project directory /home/me/services is not inside /projects, where the projects claim berth-projects is mounted' &&
        error.hint === 'add the project from a directory under /projects (berth project add /projects/NAME)',
    );
  });
  it('with colocate set, pods that mount a claim get a required affinity to Berth\'s pod; pods without one, or without colocate, none', () => {
    const colocate: Colocation = { labels: { 'app.kubernetes.io/name': 'berth' }, topologyKey: 'kubernetes.io/hostname' };
    const expected = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'berth' } }, topologyKey: 'kubernetes.io/hostname' }] },
    };
    assert.deepEqual(colocationAffinity(colocate), expected);
    const streamlit = byName('streamlit');
    assert.ok(streamlit.mounts.length > 0, 'the streamlit template mounts the project');
    const colocated = deploymentManifest(streamlit, { ...options, colocate });
    new Deployment(toWire(colocated, 'V1Deployment') as never).validate();
    assert.deepEqual(colocated.spec?.template.spec?.affinity, expected);
    assert.equal(deploymentManifest(streamlit, options).spec?.template.spec?.affinity, undefined);
    const unmounted = { ...streamlit, mounts: [] };
    assert.equal(deploymentManifest(unmounted, { ...options, colocate }).spec?.template.spec?.affinity, undefined, 'no claim, no reason to pin the pod');

    const step: TaskSpec = {
      name: 'berth-step-0123456789ab-cdef01234567',
      sessionUuid: 'run-session',
      image: 'registry.example.com/env@sha256:' + 'a'.repeat(64),
      argv: ['python3', 'train.py'],
      workingDir: '/project-dir',
      env: {},
      mounts: [{ source: 'data', hostPath: '/var/lib/berth/data', target: '/data' }],
      files: [{ path: '/berth/services.json', content: '{}' }],
      labels: { 'berth.installation': 'inst-1', 'berth.project': 'p-1' },
    };
    const pod = taskPodManifest(step, { ...options, colocate });
    new Pod(toWire(pod, 'V1Pod') as never).validate();
    assert.deepEqual(pod.spec?.affinity, expected);
    assert.equal(taskPodManifest(step, options).spec?.affinity, undefined);
    // Only the ConfigMap of its files: no claim.
    assert.equal(taskPodManifest({ ...step, mounts: [] }, { ...options, colocate }).spec?.affinity, undefined);
  });

  it('keeps inherited (secret) variables out of the Deployment, in a Secret referenced by secretKeyRef', () => {
    const ctx = context({ sessionType: 'noninteractive', runUuid: RUN_UUID, userEnv: { DB_PASSWORD: 's3cret-value' }, environmentImages: { [ENVIRONMENT_UUID]: 'img@sha256:' + 'c'.repeat(64) } });
    const db = planSession(extensionsPipeline(), ctx).services.find((s) => s.name === 'db');
    assert.ok(db);
    const deployment = toWire(deploymentManifest(db, options), 'V1Deployment');
    new Deployment(deployment as never).validate();
    assert.doesNotMatch(JSON.stringify(deployment), /s3cret-value/);
    const env = deploymentManifest(db, options).spec?.template.spec?.containers[0]?.env;
    assert.deepEqual(env?.find((e) => e.name === 'DB_PASSWORD'), { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: db.hostname, key: 'DB_PASSWORD' } } });
    assert.equal(env?.find((e) => e.name === 'POSTGRES_USER')?.value, 'app');
    const secret = secretManifest(db, options);
    assert.ok(secret);
    new Secret(toWire(secret, 'V1Secret') as never).validate();
    assert.equal(secret.metadata?.name, db.hostname);
    assert.deepEqual(secret.stringData, { DB_PASSWORD: 's3cret-value' });
    assert.equal(secretManifest(byName('redis'), options), undefined);
  });
});
