/**
 * deploy/kubernetes and docs/kubernetes.md: every manifest validates against the Kubernetes
 * OpenAPI schema (kubernetes-models 4.5, Gateway API models for the HTTPRoute), the kustomization
 * lists the files, and the docs show the files as they are.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { planSession } from '../src/plan/index.ts';
import { context, templatesPipeline } from '../src/plan/fixtures.ts';
import { deploymentManifest, networkPolicyManifest, serviceManifest, toWire } from '../src/runtime/kubernetes/index.ts';

const root = new URL('..', import.meta.url).pathname;
const deployDir = join(root, 'deploy/kubernetes');

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'batch/v1/Job': Job,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Validates every document; returns `apiVersion/kind name` of each for the caller's checks. */
function validateAll(text: string, where: string): string[] {
  const seen: string[] = [];
  for (const document of parseAllDocuments(text)) {
    assert.deepEqual(document.errors, [], `${where}: YAML errors`);
    const object = document.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | null;
    if (!object) continue;
    const key = `${object.apiVersion}/${object.kind}`;
    if (key === 'kustomize.config.k8s.io/v1beta1/Kustomization') {
      seen.push(key);
      continue;
    }
    const Model = MODELS[key];
    assert.ok(Model, `${where}: no schema for ${key}`);
    try {
      new Model(object as never).validate();
    } catch (error) {
      assert.fail(`${where}: ${key} ${object.metadata?.name} is invalid: ${(error as Error).message}`);
    }
    seen.push(`${key} ${object.metadata?.name}`);
  }
  return seen;
}

describe('deploy/kubernetes', () => {
  it('every manifest validates against the Kubernetes schema', () => {
    const all = yamlFiles(deployDir).flatMap((file) => validateAll(readFileSync(file, 'utf8'), relative(root, file)));
    for (const expected of [
      'v1/Namespace berth',
      'v1/ServiceAccount berth',
      'rbac.authorization.k8s.io/v1/Role berth',
      'rbac.authorization.k8s.io/v1/RoleBinding berth',
      'v1/PersistentVolumeClaim berth-state',
      'v1/PersistentVolumeClaim berth-projects',
      'v1/PersistentVolumeClaim berth-data',
      'apps/v1/Deployment berth',
      'v1/Service berth',
      'networking.k8s.io/v1/Ingress berth',
      'gateway.networking.k8s.io/v1/HTTPRoute berth',
    ]) {
      assert.ok(all.includes(expected), `missing ${expected}`);
    }
  });

  it('the kustomization lists every manifest except the Gateway API alternative', () => {
    const kustomization = parseAllDocuments(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    const files = yamlFiles(deployDir)
      .map((file) => relative(deployDir, file))
      .filter((file) => file !== 'kustomization.yaml' && !file.startsWith('gateway-api/'))
      .sort();
    assert.deepEqual([...kustomization.resources].sort(), files);
  });

  it('Berth runs as `berth serve --host 0.0.0.0 --runtime kubernetes` with probes on /api/health and the label the NetworkPolicies admit', () => {
    const deployment = parseAllDocuments(readFileSync(join(deployDir, 'deployment.yaml'), 'utf8'))[0]?.toJS() as {
      spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: { args: string[]; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }[] } } };
    };
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.spec.replicas, 1);
    assert.deepEqual(container?.args.slice(0, 3), ['serve', '--host', '0.0.0.0']);
    assert.ok(container?.args.join(' ').includes('--runtime kubernetes'));
    assert.equal(container?.readinessProbe.httpGet.path, '/api/health');
    assert.equal(container?.livenessProbe.httpGet.path, '/api/health');
    assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/name'], 'berth');
  });
});

describe('docs/kubernetes.md', () => {
  const doc = readFileSync(join(root, 'docs/kubernetes.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

  it('every yaml block validates against the Kubernetes schema', () => {
    assert.ok(blocks.length >= 12, `only ${blocks.length} yaml blocks`);
    const kinds = blocks.flatMap((block, index) => validateAll(block, `docs/kubernetes.md yaml block ${index + 1}`));
    assert.ok(kinds.some((k) => k.startsWith('apps/v1/Deployment streamlit-')));
    assert.ok(kinds.some((k) => k.startsWith('networking.k8s.io/v1/NetworkPolicy berth-')));
  });

  it('shows every file of deploy/kubernetes as it is', () => {
    for (const file of yamlFiles(deployDir)) {
      const text = readFileSync(file, 'utf8').trimEnd();
      assert.ok(blocks.some((block) => block.trimEnd() === text), `docs/kubernetes.md does not show ${relative(root, file)} as it is`);
    }
  });

  it('shows the objects Berth generates for the Streamlit template exactly as the code makes them', () => {
    const plan = planSession(templatesPipeline(), context({ installationId: 'a1b2c3', projectDir: '/projects/services' }));
    const streamlit = plan.services.find((s) => s.name === 'streamlit');
    assert.ok(streamlit);
    const service = { ...streamlit, labels: { ...streamlit.labels, 'berth.spec-hash': streamlit.specHash } };
    const options = { namespace: 'berth', installationId: 'a1b2c3', projectClaim: 'berth-projects', projectsMountPath: '/projects', dataClaim: 'berth-data', fsGroup: 1000, graceMs: 10_000 };
    const shown = blocks.map((block) => parseAllDocuments(block)[0]?.toJS() as { kind?: string; metadata?: { name?: string } });
    const find = (kind: string): unknown => shown.find((o) => o?.kind === kind && o.metadata?.name?.includes(streamlit.sessionUuid));
    // Plain JSON on both sides: the serializer's objects carry no prototype differences worth comparing.
    const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    assert.deepEqual(find('Deployment'), plain(toWire(deploymentManifest(service, options), 'V1Deployment')));
    assert.deepEqual(find('Service'), plain(toWire(serviceManifest(service, options) ?? {}, 'V1Service')));
    assert.deepEqual(find('NetworkPolicy'), plain(toWire(networkPolicyManifest(streamlit.sessionUuid, {}, options), 'V1NetworkPolicy')));
  });
});
