import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colocationAffinity, kubernetesOptionsFromEnv } from './config.ts';

/** A service account directory as the kubelet mounts it; `files` decides which files exist. */
function serviceAccount(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const IN_POD = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };

describe('kubernetesOptionsFromEnv', () => {
  it('outside a pod, refuses --runtime kubernetes and says how to deploy in the cluster', (t) => {
    const empty = serviceAccount(t, {});
    assert.throws(() => kubernetesOptionsFromEnv({ BERTH_K8S_NAMESPACE: 'berth', BERTH_KUBECONFIG: '/tmp/kubeconfig' }, 'a1b2c3', undefined, empty), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'BERTH_RUNTIME_OUT_OF_CLUSTER');
      assert.match(error.message, /^--runtime kubernetes runs inside the cluster, and this process is not in a pod \(KUBERNETES_SERVICE_HOST is not set\): from here Berth could not reach its services \(<name>\.berth\.svc/);
      assert.match(error.hint ?? '', /^deploy Berth in the cluster: kubectl apply -k deploy\/kubernetes/);
      assert.match(error.hint ?? '', /BERTH_KUBERNETES_OUT_OF_CLUSTER=1/);
      return true;
    });
    // The variable alone is not a pod: the token must be there too.
    assert.throws(() => kubernetesOptionsFromEnv({ ...IN_POD, BERTH_K8S_NAMESPACE: 'berth' }, 'a1b2c3', undefined, empty), { code: 'BERTH_RUNTIME_OUT_OF_CLUSTER', message: /no service account token in / });
  });

  it('outside a pod with BERTH_KUBERNETES_OUT_OF_CLUSTER=1: starts, with no co-location (there is no Berth pod to be next to)', (t) => {
    const options = kubernetesOptionsFromEnv({ BERTH_K8S_NAMESPACE: 'berth', BERTH_KUBERNETES_OUT_OF_CLUSTER: '1' }, 'a1b2c3', undefined, serviceAccount(t, {}));
    assert.equal(options.namespace, 'berth');
    assert.equal(options.colocate, undefined);
  });

  it('in a pod: the namespace from the service account, and pods co-located with Berth by default', (t) => {
    const dir = serviceAccount(t, { token: 'x', namespace: 'data-team\n' });
    const options = kubernetesOptionsFromEnv(IN_POD, 'a1b2c3', undefined, dir);
    assert.equal(options.namespace, 'data-team');
    assert.deepEqual(options.colocate, { labels: { 'app.kubernetes.io/name': 'berth' }, topologyKey: 'kubernetes.io/hostname' });
    assert.deepEqual(colocationAffinity(options.colocate), {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'berth' } }, topologyKey: 'kubernetes.io/hostname' }] },
    });
    assert.equal(kubernetesOptionsFromEnv({ ...IN_POD, BERTH_K8S_COLOCATE: 'off' }, 'a1b2c3', undefined, dir).colocate, undefined);
    assert.throws(() => kubernetesOptionsFromEnv({ ...IN_POD, BERTH_K8S_COLOCATE: 'yes' }, 'a1b2c3', undefined, dir), { code: 'BERTH_RUNTIME_BAD_COLOCATE', message: /^BERTH_K8S_COLOCATE is "yes", not on or off/ });
  });

  it('an empty namespace file is refused, never an empty namespace (ORCHEST_NAMESPACE would be empty)', (t) => {
    const dir = serviceAccount(t, { token: 'x', namespace: '\n' });
    assert.throws(() => kubernetesOptionsFromEnv(IN_POD, 'a1b2c3', undefined, dir), { code: 'BERTH_RUNTIME_NO_NAMESPACE', message: /namespace file .* is empty/ });
  });
});
