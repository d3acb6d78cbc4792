import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { containerInstance, deploymentState, podState } from './pod-status.ts';

function pod(name: string, created: string, status: V1Pod['status'], deleting = false): V1Pod {
  return { metadata: { name, creationTimestamp: new Date(created), ...(deleting ? { deletionTimestamp: new Date(created) } : {}) }, status };
}

describe('pod status', () => {
  it('keeps waiting for reasons that clear up by themselves', () => {
    const state = podState(pod('a', '2026-01-01T00:00:00Z', { phase: 'Pending', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }), 'c');
    assert.deepEqual(state, { state: 'waiting', reason: 'ContainerCreating', fatal: false });
    assert.deepEqual(podState(pod('a', '2026-01-01T00:00:00Z', { phase: 'Pending' }), 'c'), { state: 'waiting', reason: 'pod Pending', fatal: false });
  });

  it('reports an exit with its code and reason', () => {
    const state = podState(pod('a', '2026-01-01T00:00:00Z', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }), 'c');
    assert.deepEqual(state, { state: 'exited', exitCode: 137, reason: 'OOMKilled' });
  });

  it('judges by the newest pod that is not being deleted, and by the Deployment before any pod exists', () => {
    const deployment: V1Deployment = { status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota: compute' }] } };
    assert.deepEqual(deploymentState(deployment, [], 'c'), { state: 'waiting', reason: 'FailedCreate: pods "x" is forbidden: exceeded quota: compute', fatal: true });
    const old = pod('old', '2026-01-01T00:00:00Z', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:00:01Z') } } }] }, true);
    const fresh = pod('new', '2026-01-01T00:01:00Z', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:01:02Z') } } }] });
    assert.deepEqual(deploymentState({}, [old, fresh], 'c'), { state: 'running', startedAt: '2026-01-01T00:01:02.000Z' });
  });

  it('reads the named container when a sidecar is listed before it, and waits on Unschedulable', () => {
    const statuses: NonNullable<V1Pod['status']>['containerStatuses'] = [
      { name: 'istio-proxy', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:00:01Z') } } },
      { name: 'redis', image: 'i', imageID: '', ready: false, restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } } },
    ];
    const sidecarFirst = pod('a', '2026-01-01T00:00:00Z', { phase: 'Running', containerStatuses: statuses });
    assert.deepEqual(podState(sidecarFirst, 'redis'), { state: 'exited', exitCode: 1, reason: 'Error' });
    assert.deepEqual(containerInstance(sidecarFirst, 'redis'), { pod: 'a', restartCount: 2, started: true });
    const pending = pod('b', '2026-01-01T00:00:00Z', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] });
    assert.deepEqual(podState(pending, 'redis'), { state: 'waiting', reason: 'Unschedulable: 0/1 nodes are available', fatal: false });
  });
});
