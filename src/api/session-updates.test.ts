import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSessionUpdate } from './session-updates.ts';
import type { ServiceInfo, SessionInfo } from './types.ts';

function service(name: string, status: ServiceInfo['status']): ServiceInfo {
  return { name, status, reason: null, details: null, hostname: name, internalHostname: name, ports: [], exposed: false, urls: [], endpoints: null, runtimeId: null, attempt: 0, startedAt: null, readyAt: null };
}

function session(status: SessionInfo['status'], services: ServiceInfo[]): SessionInfo {
  return { uuid: 's', projectUuid: 'p', pipelineUuid: 'q', pipelinePath: 'main.orchest', type: 'interactive', runtime: 'local', status, reason: null, services, warnings: [] };
}

test('an update replaces the services it holds, in the order the session has them, and the session fields', () => {
  const previous = session('starting', [service('a', 'pending'), service('b', 'pending'), service('c', 'pending')]);
  const merged = mergeSessionUpdate(previous, { session: session('starting', [service('c', 'ready'), service('a', 'starting')]), cursor: 'x', complete: false });
  assert.deepEqual(
    merged.services.map((s) => [s.name, s.status]),
    [['a', 'starting'], ['b', 'pending'], ['c', 'ready']],
  );
  const settled = mergeSessionUpdate(merged, { session: session('running', []), cursor: 'y', complete: false });
  assert.equal(settled.status, 'running');
  assert.equal(settled.services, merged.services, 'nothing changed: the same services');
});

test('a complete update is the session, whatever came before', () => {
  const previous = session('running', [service('a', 'ready'), service('old', 'ready')]);
  const whole = session('starting', [service('a', 'pending')]);
  assert.equal(mergeSessionUpdate(previous, { session: whole, cursor: 'z', complete: true }), whole);
  assert.equal(mergeSessionUpdate(undefined, { session: whole, cursor: 'z', complete: true }), whole);
  assert.throws(() => mergeSessionUpdate(undefined, { session: whole, cursor: 'z', complete: false }), /needs the session that cursor came with/);
});
