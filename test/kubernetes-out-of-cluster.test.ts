/**
 * Issue 19, item 10: `berth serve --runtime kubernetes` outside a pod is refused at start, saying how
 * to deploy Berth in the cluster, even with a kubeconfig that reaches an API server (here the fake);
 * BERTH_KUBERNETES_OUT_OF_CLUSTER=1 is the development opt-in the other kubernetes tests use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeApiServer } from '../src/runtime/kubernetes/fake-api-server.ts';
import { tempDir } from './support/berth.ts';

const ROOT = new URL('..', import.meta.url).pathname;

test('berth serve --runtime kubernetes outside a cluster stops with BERTH_RUNTIME_OUT_OF_CLUSTER and how to deploy in-cluster', { timeout: 120_000 }, async (t) => {
  const fake = await startFakeApiServer();
  t.after(() => fake.close());
  const dataDir = await tempDir(t, 'berth-k8s-outside-');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', BERTH_KUBECONFIG: fake.kubeconfig, BERTH_K8S_NAMESPACE: 'berth' };
  for (const name of ['KUBERNETES_SERVICE_HOST', 'BERTH_KUBERNETES_OUT_OF_CLUSTER', 'BERTH_DATA_DIR', 'BERTH_PORT']) delete env[name];
  const args = ['bin/berth.mjs', 'serve', '--runtime', 'kubernetes', '--port', '0', '--data-dir', dataDir];
  // Synchronous is fine: the refusal comes before any call to the API server (which this process serves).
  const done = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
  assert.notEqual(done.status, 0, `berth serve started:\n${done.stdout}`);
  const stderr = done.stderr;
  assert.match(stderr, /BERTH_RUNTIME_OUT_OF_CLUSTER/);
  assert.match(stderr, /--runtime kubernetes runs inside the cluster, and this process is not in a pod \(KUBERNETES_SERVICE_HOST is not set\)/);
  assert.match(stderr, /deploy Berth in the cluster: kubectl apply -k deploy\/kubernetes/);
  assert.doesNotMatch(done.stdout, /Berth is running/);
  assert.equal(existsSync(join(dataDir, 'berth.lock')), false, 'the refused start leaves no instance lock behind');
});
