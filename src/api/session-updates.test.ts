import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSessionUpdate, SessionFollower } from './session-updates.ts';
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

test('a follower sends its cursor, merges each answer, and drops one asked before it moved on', () => {
  const follower = new SessionFollower('s');
  assert.deepEqual(follower.params, { sid: 's' });
  assert.equal(follower.take({ session: session('starting', [service('a', 'pending'), service('b', 'pending')]), cursor: 'c1', complete: true }), true);
  assert.deepEqual(follower.params, { sid: 's', since: 'c1' });

  const asked = follower.params;
  assert.equal(follower.take({ session: session('starting', [service('b', 'ready')]), cursor: 'c2', complete: false }), true);
  assert.deepEqual(follower.session?.services.map((s) => s.status), ['pending', 'ready']);
  assert.equal(follower.take({ session: session('running', []), cursor: 'c3', complete: false }, asked), false, 'an answer to c1 after c2 was taken');
  assert.equal(follower.session?.status, 'starting');

  follower.restart(session('starting', [service('a', 'pending')]));
  assert.deepEqual(follower.params, { sid: 's' }, 'after a restart the next answer is the whole session');
});
