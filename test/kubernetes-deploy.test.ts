/**
 * deploy/kubernetes and docs/kubernetes.md: every manifest validates against the Kubernetes
 * OpenAPI schema (kubernetes-models 4.5, Gateway API models for the HTTPRoute), the kustomization
 * lists the files, `kubectl kustomize` renders the install and each overlay into valid manifests
 * that hold on kind, k3s and GKE (no ReadWriteMany claim without a storage class, a startup probe,
 * one replica with Recreate, no ingress class in the base), and the docs show the files as they are.
 * The kustomizations stick to what kustomize v2.0.3 (kubectl 1.20, Debian bookworm's
 * kubernetes-client) knows, so the render runs with that kubectl as well as with a current one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { commandRequirement, skipUnless } from './support/requirements.ts';

const root = new URL('..', import.meta.url).pathname;
const deployDir = join(root, 'deploy/kubernetes');

type Validatable = { validate(): void };

/** GKE's BackendConfig (a CRD kubernetes-models does not carry): the fields the gke component sets. */
class BackendConfig implements Validatable {
  constructor(private readonly data: { metadata?: { name?: unknown }; spec?: { timeoutSec?: unknown } }) {}
  validate(): void {
    if (typeof this.data.metadata?.name !== 'string') throw new Error('metadata.name must be a string');
    const timeout = this.data.spec?.timeoutSec;
    if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > 86_400) throw new Error('spec.timeoutSec must be an integer of 1 to 86400 seconds');
  }
}

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
  'cloud.google.com/v1/BackendConfig': BackendConfig,
};
const KUSTOMIZE_KINDS = ['kustomize.config.k8s.io/v1beta1/Kustomization'];
/**
 * The fields of a Kustomization that kustomize v2.0.3 (kubectl 1.20, Debian bookworm's
 * kubernetes-client) knows and renders the same way as kustomize v5: no components, no inline
 * `patches:`, directories only under `bases:`.
 */
const KUSTOMIZE_V2_FIELDS = ['apiVersion', 'kind', 'namespace', 'bases', 'resources', 'patchesStrategicMerge', 'images'];

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
    if (KUSTOMIZE_KINDS.includes(key)) {
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
      'cloud.google.com/v1/BackendConfig berth',
    ]) {
      assert.ok(all.includes(expected), `missing ${expected}`);
    }
  });

  it('the base kustomization lists every manifest of base/', () => {
    const kustomization = parseAllDocuments(readFileSync(join(deployDir, 'base/kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    const files = readdirSync(join(deployDir, 'base'))
      .filter((file) => file !== 'kustomization.yaml')
      .sort();
    assert.deepEqual([...kustomization.resources].sort(), files);
  });

  it('every kustomization renders with kustomize v2.0.3 (kubectl 1.20) too: only the fields it knows, files under resources', () => {
    const kustomizations = yamlFiles(deployDir).filter((file) => file.endsWith('/kustomization.yaml'));
    assert.ok(kustomizations.length >= 7, `only ${kustomizations.length} kustomizations`);
    for (const file of kustomizations) {
      const where = relative(root, file);
      const kustomization = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as Record<string, unknown>;
      assert.deepEqual(Object.keys(kustomization).filter((key) => !KUSTOMIZE_V2_FIELDS.includes(key)), [], `${where}: fields kustomize v2.0.3 does not know`);
      for (const listed of (kustomization.resources as string[] | undefined) ?? []) {
        assert.ok(statSync(join(file, '..', listed)).isFile(), `${where}: resources lists ${listed}, a directory (kustomize v2.0.3 takes those only under bases:)`);
      }
      for (const patch of (kustomization.patchesStrategicMerge as string[] | undefined) ?? []) {
        // kustomize v5 matches a patch by namespace too: one without it matches nothing in `berth`.
        for (const document of parseAllDocuments(readFileSync(join(file, '..', patch), 'utf8'))) {
          assert.equal((document.toJS() as { metadata?: { namespace?: string } }).metadata?.namespace, 'berth', `${where}: patch ${patch} names namespace berth`);
        }
      }
    }
  });

  it('the Role grants every API call the runtime makes (a call it lacks is a 403 on a real cluster only)', () => {
    const role = parseAllDocuments(readFileSync(join(deployDir, 'base/role.yaml'), 'utf8'))[0]?.toJS() as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const granted = (group: string, resource: string, verb: string) => role.rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const groups: Record<string, string> = { core: '', apps: 'apps', batch: 'batch', networking: 'networking.k8s.io' };
    const verbs: Record<string, string> = { create: 'create', delete: 'delete', list: 'list', read: 'get', patch: 'patch', replace: 'update' };
    const sourceDir = join(root, 'src/runtime/kubernetes');
    const calls = new Set<string>();
    for (const file of readdirSync(sourceDir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'fake-api-server.ts')) {
      for (const match of readFileSync(join(sourceDir, file), 'utf8').matchAll(/clients\.(core|apps|batch|networking)\.(create|delete|list|read|patch|replace)Namespaced(\w+)/g)) {
        calls.add(`${match[1]} ${match[2]} ${match[3]}`);
      }
    }
    assert.ok(calls.size >= 15, `found only ${calls.size} calls: the pattern no longer matches the runtime's code`);
    const missing = [...calls].filter((call) => {
      const [client = '', verb = '', kind = ''] = call.split(' ');
      const resource = kind === 'PodLog' ? 'pods/log' : `${kind.toLowerCase()}${kind.endsWith('y') ? '' : 's'}`.replace(/policys$/, 'policies').replace(/policy$/, 'policies');
      return !granted(groups[client] ?? '?', resource, verbs[verb] ?? '?');
    });
    assert.deepEqual(missing, []);
    // Besides the typed clients: the pod watch, exec (WebSocket), and events for a pod never created.
    assert.ok(granted('', 'pods', 'watch') && granted('', 'pods/exec', 'create') && granted('', 'events', 'list'));
  });

  it('Berth runs as `berth serve --host 0.0.0.0 --runtime kubernetes` with probes on /api/health and the label the NetworkPolicies admit', () => {
    const deployment = parseAllDocuments(readFileSync(join(deployDir, 'base/deployment.yaml'), 'utf8'))[0]?.toJS() as RenderedDeployment;
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.spec.replicas, 1);
    assert.deepEqual(container?.args.slice(0, 3), ['serve', '--host', '0.0.0.0']);
    assert.ok(container?.args.join(' ').includes('--runtime kubernetes'));
    assert.equal(container?.readinessProbe.httpGet.path, '/api/health');
    assert.equal(container?.livenessProbe.httpGet.path, '/api/health');
    assert.equal(container?.startupProbe?.httpGet.path, '/api/health');
    assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/name'], 'berth');
  });
});

interface Probe {
  httpGet: { path: string };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface RenderedDeployment {
  kind: 'Deployment';
  metadata: { name: string };
  spec: {
    replicas: number;
    strategy?: { type?: string };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { image?: string; args: string[]; env?: { name: string; value?: string }[]; readinessProbe: Probe; livenessProbe: Probe; startupProbe?: Probe }[] };
    };
  };
}
interface Rendered {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: { resources: string[]; verbs: string[] }[];
}

const kubectl = commandRequirement('kubectl', 'install kubectl (1.20 or later: Debian\'s kubernetes-client will do); .ci/run installs it when none is on the PATH');

/** `kubectl kustomize DIR`, validated document by document. */
function render(dir: string): Rendered[] {
  const done = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(done.status, 0, `kubectl kustomize ${dir} failed:\n${done.stderr}`);
  validateAll(done.stdout, `kubectl kustomize ${relative(root, dir) || dir}`);
  return parseAllDocuments(done.stdout).map((document) => document.toJS() as Rendered);
}

function one<T extends Rendered>(objects: Rendered[], kind: string, name = 'berth'): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(found.length, 1, `expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
}

function claims(objects: Rendered[]): Record<string, { accessModes: string[]; storageClassName?: string }> {
  return Object.fromEntries(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => [o.metadata.name, o.spec as { accessModes: string[]; storageClassName?: string }]));
}

function colocate(objects: Rendered[]): string | undefined {
  return one<RenderedDeployment & Rendered>(objects, 'Deployment').spec.template.spec.containers[0]?.env?.find((e) => e.name === 'BERTH_K8S_COLOCATE')?.value;
}

/** What must hold for every variant on kind, k3s and GKE. */
function assertInstallable(objects: Rendered[], where: string): void {
  for (const [name, claim] of Object.entries(claims(objects))) {
    if (claim.accessModes.includes('ReadWriteMany')) assert.ok(claim.storageClassName, `${where}: claim ${name} asks ReadWriteMany with no storage class (the default classes of kind, k3s and GKE cannot provide it)`);
  }
  const deployment = one<RenderedDeployment & Rendered>(objects, 'Deployment');
  assert.equal(deployment.spec.replicas, 1, `${where}: one replica`);
  assert.equal(deployment.spec.strategy?.type, 'Recreate', `${where}: Recreate, so an upgrade never runs two Berths`);
  const container = deployment.spec.template.spec.containers[0];
  const startup = container?.startupProbe;
  assert.ok(startup, `${where}: Berth has a startup probe`);
  assert.equal(startup.httpGet.path, '/api/health');
  // Sized for recovery: minutes, not the liveness probe's default 3 × 10 s.
  assert.ok((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) >= 300, `${where}: the startup probe allows at least 5 minutes`);
  const liveness = container.livenessProbe;
  assert.ok((liveness.periodSeconds ?? 10) * (liveness.failureThreshold ?? 3) >= 120, `${where}: liveness needs 2 minutes without an answer`);
  const role = one(objects, 'Role');
  assert.ok(
    role.rules?.some((rule) => rule.resources.includes('events') && ['list', 'watch'].every((verb) => rule.verbs.includes(verb))),
    `${where}: the Role lets Berth list and watch events (FailedCreate of a pod never created)`,
  );
}

describe('kubectl kustomize deploy/kubernetes and its overlays', skipUnless(kubectl), () => {
  it('the default install: ReadWriteOnce claims on the default class, pods co-located with Berth, no ingress class', () => {
    const objects = render(deployDir);
    assertInstallable(objects, 'deploy/kubernetes');
    for (const [name, claim] of Object.entries(claims(objects))) {
      assert.deepEqual(claim.accessModes, ['ReadWriteOnce'], `claim ${name}`);
      assert.equal(claim.storageClassName, undefined, `claim ${name} uses the cluster's default class`);
    }
    assert.equal(colocate(objects), 'on');
    const ingress = one(objects, 'Ingress');
    assert.equal(ingress.spec?.ingressClassName, undefined, 'no ingress class in the base');
    assert.equal(ingress.metadata.annotations?.['kubernetes.io/ingress.class'], undefined, 'no ingress class annotation in the base');
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.name}`).sort(),
      ['Deployment berth', 'Ingress berth', 'Namespace berth', 'PersistentVolumeClaim berth-data', 'PersistentVolumeClaim berth-projects', 'PersistentVolumeClaim berth-state', 'Role berth', 'RoleBinding berth', 'Service berth', 'ServiceAccount berth'],
    );
  });

  it('overlays/rwx: projects and data ReadWriteMany with a storage class, no co-location', () => {
    const objects = render(join(deployDir, 'overlays/rwx'));
    assertInstallable(objects, 'overlays/rwx');
    const all = claims(objects);
    assert.deepEqual(all['berth-projects'], { ...all['berth-projects'], accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client' });
    assert.deepEqual(all['berth-data']?.accessModes, ['ReadWriteMany']);
    assert.deepEqual(all['berth-state']?.accessModes, ['ReadWriteOnce']);
    assert.equal(colocate(objects), 'off');
  });

  it('one overlay per ingress controller: ingress-nginx, Traefik (k3s), GKE; and the Gateway API in place of the Ingress', () => {
    const nginx = render(join(deployDir, 'overlays/ingress-nginx'));
    assertInstallable(nginx, 'overlays/ingress-nginx');
    assert.equal(one(nginx, 'Ingress').spec?.ingressClassName, 'nginx');
    assert.equal(one(nginx, 'Ingress').metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'], '3600');

    const traefik = render(join(deployDir, 'overlays/traefik'));
    assertInstallable(traefik, 'overlays/traefik');
    assert.equal(one(traefik, 'Ingress').spec?.ingressClassName, 'traefik');

    const gke = render(join(deployDir, 'overlays/gke'));
    assertInstallable(gke, 'overlays/gke');
    assert.equal(one(gke, 'Ingress').metadata.annotations?.['kubernetes.io/ingress.class'], 'gce');
    assert.equal(one(gke, 'Service').metadata.annotations?.['cloud.google.com/backend-config'], '{"default": "berth"}');
    assert.equal(one(gke, 'BackendConfig').spec?.timeoutSec, 3600);

    const gateway = render(join(deployDir, 'overlays/gateway-api'));
    assertInstallable(gateway, 'overlays/gateway-api');
    assert.equal(gateway.filter((o) => o.kind === 'Ingress').length, 0);
    one(gateway, 'HTTPRoute');
  });

  it('overlays combine in your own kustomization, as docs/kubernetes.md shows: rwx with your storage class, Traefik, your image', (t) => {
    const doc = readFileSync(join(root, 'docs/kubernetes.md'), 'utf8');
    const shown = /```yaml\n(# My Berth: [\s\S]*?)```/.exec(doc)?.[1];
    const storageClass = /```yaml\n(# My Berth's storage-class\.yaml[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(shown, 'docs/kubernetes.md shows an own kustomization starting with "# My Berth:"');
    assert.ok(storageClass, 'docs/kubernetes.md shows its patch starting with "# My Berth\'s storage-class.yaml"');
    const dir = mkdtempSync(join(tmpdir(), 'berth-kustomize-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The docs' paths go to a checkout inside the kustomization's directory (`berth/`): a copy, as
    // kustomize refuses patch files that a symbolic link leads out of that directory.
    cpSync(deployDir, join(dir, 'berth/deploy/kubernetes'), { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), shown);
    writeFileSync(join(dir, 'storage-class.yaml'), storageClass);
    const objects = render(dir);
    assertInstallable(objects, 'the docs\' own kustomization');
    assert.equal(claims(objects)['berth-projects']?.storageClassName, 'standard-rwx');
    assert.equal(claims(objects)['berth-data']?.storageClassName, 'standard-rwx');
    assert.equal(one(objects, 'Ingress').spec?.ingressClassName, 'traefik');
    assert.equal(colocate(objects), 'off');
    assert.equal(one<RenderedDeployment & Rendered>(objects, 'Deployment').spec.template.spec.containers[0]?.image, 'registry.example.com/berth:0.1.0');
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
    // As the default install runs it: BERTH_K8S_COLOCATE=on, so the pods that mount the claims follow Berth's node.
    const colocate = { labels: { 'app.kubernetes.io/name': 'berth' }, topologyKey: 'kubernetes.io/hostname' };
    const options = { namespace: 'berth', installationId: 'a1b2c3', projectClaim: 'berth-projects', projectsMountPath: '/projects', dataClaim: 'berth-data', fsGroup: 1000, graceMs: 10_000, colocate };
    const shown = blocks.map((block) => parseAllDocuments(block)[0]?.toJS() as { kind?: string; metadata?: { name?: string } });
    const find = (kind: string): unknown => shown.find((o) => o?.kind === kind && o.metadata?.name?.includes(streamlit.sessionUuid));
    // Plain JSON on both sides: the serializer's objects carry no prototype differences worth comparing.
    const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    assert.deepEqual(find('Deployment'), plain(toWire(deploymentManifest(service, options), 'V1Deployment')));
    assert.deepEqual(find('Service'), plain(toWire(serviceManifest(service, options) ?? {}, 'V1Service')));
    assert.deepEqual(find('NetworkPolicy'), plain(toWire(networkPolicyManifest(streamlit.sessionUuid, {}, options), 'V1NetworkPolicy')));
  });
});
