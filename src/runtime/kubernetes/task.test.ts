/**
 * Step pods: the manifests validate against the Kubernetes schema, and a task whose directories
 * are not on the projects claim fails before anything is created, saying where projects belong.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap, Pod } from 'kubernetes-models/v1';
import type { TaskSpec } from '../types.ts';
import { createKubernetesClients, loadKubeConfig } from './client.ts';
import { startFakeApiServer } from './fake-api-server.ts';
import type { ManifestOptions } from './manifests.ts';
import { runTaskPod, taskConfigMapManifest, taskPodManifest } from './task.ts';
import { toWire } from './wire.ts';

const options: ManifestOptions = { namespace: 'berth', installationId: 'inst', projectClaim: 'berth-projects', dataClaim: 'berth-data', projectsMountPath: '/projects', fsGroup: 1000, imagePullSecrets: ['registry'] };

function task(projectDir: string): TaskSpec {
  return {
    name: 'berth-step-0123456789ab-cdef01234567',
    sessionUuid: 'run-session',
    image: 'registry.example.com/env@sha256:' + 'a'.repeat(64),
    argv: ['python3', 'train.py'],
    workingDir: '/project-dir',
    env: { ORCHEST_PROJECT_DIR: '/project-dir' },
    mounts: [
      { source: 'project', hostPath: projectDir, target: '/project-dir' },
      { source: 'data', hostPath: '/var/lib/berth/data', target: '/data' },
    ],
    files: [{ path: '/berth/sdk/python/orchest/__init__.py', content: '# sdk\n' }],
    labels: { 'berth.installation': 'inst', 'berth.project': 'p-1', 'berth.run': 'r-1', 'berth.step': 's-1' },
  };
}

describe('step pods', () => {
  it('generates a Pod and a ConfigMap that validate, with the claims as subPaths and the files by key', () => {
    const pod = taskPodManifest(task('/projects/.berth-runs/j/r/project'), options);
    new Pod(toWire(pod, 'V1Pod') as never).validate();
    new ConfigMap(toWire(taskConfigMapManifest(task('/projects/x'), options)!, 'V1ConfigMap') as never).validate();
    const container = pod.spec?.containers[0];
    assert.deepEqual(container?.volumeMounts, [
      { name: 'project-dir', mountPath: '/project-dir', subPath: '.berth-runs/j/r/project' },
      { name: 'data', mountPath: '/data', subPath: 'data' },
      { name: 'task-files', mountPath: '/berth/sdk/python/orchest/__init__.py', subPath: 'f0', readOnly: true },
    ]);
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.deepEqual(pod.spec?.imagePullSecrets, [{ name: 'registry' }]);
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.metadata?.labels?.['berth.session'], 'run-session');
    assert.equal(pod.metadata?.labels?.['berth.task'], 'berth-step-0123456789ab-cdef01234567');
  });

  it('a project outside the claim fails the task with the fix and creates nothing', async (t) => {
    const fake = await startFakeApiServer();
    const dir = mkdtempSync(join(tmpdir(), 'berth-task-'));
    t.after(async () => {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const clients = createKubernetesClients(loadKubeConfig(fake.kubeconfig));
    const result = await runTaskPod(clients, task('/home/me/project'), options, { logFile: join(dir, 'step.log'), signal: new AbortController().signal });
    assert.deepEqual(result, {
      exitCode: null,
      reason:
        'task berth-step-0123456789ab-cdef01234567: its project directory /home/me/project is not inside /projects, where the projects claim berth-projects is mounted (add the project from a directory under /projects (berth project add /projects/NAME))',
    });
    assert.deepEqual(fake.objects('pods'), []);
    assert.deepEqual(fake.objects('configmaps'), []);
    assert.throws(() => readFileSync(join(dir, 'step.log')), 'no log file for a task that never ran');
  });
});
