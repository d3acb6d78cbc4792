/**
 * decide() as tables: every recorded service status against every state the runtime can report for
 * its instance, for each trigger; then work in flight, dependencies, what the plan does not have,
 * stopping, and the session's status. A row reads: the record, the instance, then for each trigger
 * the actions (`+` between them, `-` for none) and the session's status after them (`=`: unchanged).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuntimeState } from '../runtime/index.ts';
import type { ServiceStatus, SessionStatus } from '../store/index.ts';
import { decide, exitReason, type Action, type DesiredService, type ObservedInstance, type RecordedService, type Trigger } from './reconcile.ts';

const TRIGGERS: Trigger[] = ['command', 'recovery', 'resync'];

/** The instance states of the table; `stale` runs another plan's hash, `none` is no instance at all. */
const INSTANCES: Record<string, { state: RuntimeState; specHash: string | undefined } | undefined> = {
  none: undefined,
  running: { state: { state: 'running' }, specHash: 'h1' },
  stale: { state: { state: 'running' }, specHash: 'h0' },
  waiting: { state: { state: 'waiting', reason: 'evicted', fatal: false }, specHash: 'h1' },
  fatal: { state: { state: 'waiting', reason: 'ImagePullBackOff', fatal: true }, specHash: 'h1' },
  exited: { state: { state: 'exited', exitCode: 3 }, specHash: 'h1' },
  // what inspect says of a recorded instance the runtime no longer has (no labels to read)
  missing: { state: { state: 'missing' }, specHash: undefined },
};

function planned(name: string, dependsOn: string[] = [], specHash = 'h1'): DesiredService {
  return { name, specHash, dependsOn };
}

function record(name: string, status: ServiceStatus, runtimeId: string | null = null, reason: string | null = null): RecordedService {
  return { name, status, runtimeId, reason };
}

function instance(id: string, service: string | undefined, state: RuntimeState = { state: 'running' }, specHash: string | undefined = 'h1'): ObservedInstance {
  return { id, service, specHash, state };
}

function brief(action: Action): string {
  return action.type === 'stop' ? `stop:${action.why}` : action.type;
}

/** One session's decision, in the table's notation. */
function run(input: {
  services: DesiredService[];
  instances?: ObservedInstance[];
  records?: RecordedService[];
  busy?: [string, string][];
  trigger?: Trigger;
  status?: SessionStatus;
}): { actions: Action[]; summary: string } {
  const decision = decide(
    { session: 'running', services: input.services },
    { instances: input.instances ?? [], busy: new Map(input.busy ?? []) },
    { session: { status: input.status ?? 'running' }, services: input.records ?? [] },
    input.trigger ?? 'command',
  );
  return { actions: decision.actions, summary: `${decision.actions.map(brief).join('+') || '-'} => ${decision.session?.status ?? '='}` };
}

describe('decide: one service, every recorded status × every instance state × every trigger', () => {
  // [record ('none': no record), instance, command, recovery, resync]
  const table: [string, string, string, string, string][] = [
    ['none','none','start => starting','start => starting','start => ='],
    ['none','running','restart => starting','restart => starting','restart => ='],
    ['none','stale','restart => starting','restart => starting','restart => ='],
    ['none','waiting','restart => starting','restart => starting','restart => ='],
    ['none','fatal','restart => starting','restart => starting','restart => ='],
    ['none','exited','restart => starting','restart => starting','restart => ='],
    ['none','missing','start => starting','start => starting','start => ='],
    ['pending','none','start => starting','start => starting','start => ='],
    ['pending','running','restart => starting','restart => starting','restart => ='],
    ['pending','stale','restart => starting','restart => starting','restart => ='],
    ['pending','waiting','restart => starting','restart => starting','restart => ='],
    ['pending','fatal','restart => starting','restart => starting','restart => ='],
    ['pending','exited','restart => starting','restart => starting','restart => ='],
    ['pending','missing','start => starting','start => starting','start => ='],
    ['starting','none','start => starting','start => starting','start => ='],
    ['starting','running','adopt => starting','adopt => starting','adopt => ='],
    ['starting','stale','restart => starting','restart => starting','restart => ='],
    ['starting','waiting','restart => starting','restart => starting','restart => ='],
    ['starting','fatal','restart => starting','restart => starting','restart => ='],
    ['starting','exited','restart => starting','restart => starting','restart => ='],
    ['starting','missing','start => starting','start => starting','start => ='],
    ['ready','none','start => starting','start => starting','start => ='],
    ['ready','running','- => running','adopt => starting','- => running'],
    ['ready','stale','restart => starting','restart => starting','restart => ='],
    ['ready','waiting','rewait => starting','rewait => starting','rewait => ='],
    ['ready','fatal','restart => starting','restart => starting','exited => failed'],
    ['ready','exited','restart => starting','restart => starting','exited => failed'],
    ['ready','missing','start => starting','start => starting','exited => failed'],
    ['failed','none','start => starting','start => starting','- => failed'],
    ['failed','running','restart => starting','restart => starting','- => failed'],
    ['failed','stale','restart => starting','restart => starting','- => failed'],
    ['failed','waiting','restart => starting','restart => starting','- => failed'],
    ['failed','fatal','restart => starting','restart => starting','- => failed'],
    ['failed','exited','restart => starting','restart => starting','- => failed'],
    ['failed','missing','start => starting','start => starting','- => failed'],
    ['exited','none','start => starting','start => starting','- => failed'],
    ['exited','running','restart => starting','restart => starting','- => failed'],
    ['exited','stale','restart => starting','restart => starting','- => failed'],
    ['exited','waiting','restart => starting','restart => starting','- => failed'],
    ['exited','fatal','restart => starting','restart => starting','- => failed'],
    ['exited','exited','restart => starting','restart => starting','- => failed'],
    ['exited','missing','start => starting','start => starting','- => failed'],
    ['stopped','none','start => starting','start => starting','start => ='],
    ['stopped','running','restart => starting','restart => starting','restart => ='],
    ['stopped','stale','restart => starting','restart => starting','restart => ='],
    ['stopped','waiting','restart => starting','restart => starting','restart => ='],
    ['stopped','fatal','restart => starting','restart => starting','restart => ='],
    ['stopped','exited','restart => starting','restart => starting','restart => ='],
    ['stopped','missing','start => starting','start => starting','start => ='],
  ];

  for (const [status, observed, ...expected] of table) {
    test(`record ${status}, instance ${observed}`, () => {
      const found = INSTANCES[observed];
      const instances = found ? [instance('i1', 'web', found.state, found.specHash)] : [];
      const records = status === 'none' ? [] : [record('web', status as ServiceStatus, found ? 'i1' : null, status === 'failed' || status === 'exited' ? 'why' : null)];
      const got = TRIGGERS.map((trigger) => run({ services: [planned('web')], instances, records, trigger }).summary);
      assert.deepEqual(got, expected);
    });
  }

  test('restart and adopt name the instance, and an exit says how it ended', () => {
    const ready = [record('web', 'ready', 'i1')];
    assert.deepEqual(run({ services: [planned('web')], instances: [instance('i1', 'web', { state: 'running' }, 'h0')], records: ready }).actions, [{ type: 'restart', service: 'web', id: 'i1' }]);
    assert.deepEqual(run({ services: [planned('web')], instances: [instance('i1', 'web')], records: ready, trigger: 'recovery' }).actions, [{ type: 'adopt', service: 'web', id: 'i1' }]);
    const exited = run({ services: [planned('web')], instances: [instance('i1', 'web', { state: 'exited', exitCode: 137 })], records: ready, trigger: 'resync' });
    assert.deepEqual(exited.actions, [{ type: 'exited', service: 'web', reason: 'exited with code 137' }]);
    const waiting = run({ services: [planned('web')], instances: [instance('i1', 'web', { state: 'waiting', reason: 'pod evicted', fatal: false })], records: ready, trigger: 'resync' });
    assert.deepEqual(waiting.actions, [{ type: 'rewait', service: 'web', reason: 'pod evicted' }]);
  });

  test('a recorded instance the runtime was not asked about (started after it was listed) is left alone', () => {
    for (const trigger of TRIGGERS) {
      assert.equal(run({ services: [planned('web')], records: [record('web', 'ready', 'i9')], trigger }).summary, '- => running', trigger);
    }
  });
});

describe('decide: work in flight', () => {
  test('a start or readiness wait of the planned hash is waited for; the session is starting for commands and recovery, unchanged for a resync', () => {
    for (const status of ['starting', 'ready', 'failed'] as const) {
      const got = TRIGGERS.map((trigger) => run({ services: [planned('web')], records: [record('web', status, 'i1')], instances: [instance('i1', 'web')], busy: [['web', 'h1']], trigger }).summary);
      assert.deepEqual(got, ['wait => starting', 'wait => starting', 'wait => ='], `record ${status}`);
    }
  });

  test('work of another hash (apply changed the plan) or under a pending record (a restart was asked for) is cancelled first', () => {
    for (const trigger of TRIGGERS) {
      assert.equal(run({ services: [planned('web')], records: [record('web', 'starting', 'i1')], busy: [['web', 'h0']], trigger }).summary, `cancel => ${trigger === 'resync' ? '=' : 'starting'}`);
      assert.equal(run({ services: [planned('web')], records: [record('web', 'pending', 'i1')], busy: [['web', 'h1']], trigger }).summary, `cancel => ${trigger === 'resync' ? '=' : 'starting'}`);
    }
  });

  test('work for a service the plan no longer has is cancelled, its record forgotten', () => {
    const got = run({ services: [planned('web')], records: [record('web', 'ready', 'i1'), record('old', 'starting', 'i2')], instances: [instance('i1', 'web')], busy: [['old', 'h1']] });
    assert.deepEqual(got.actions, [{ type: 'cancel', service: 'old' }, { type: 'forget', service: 'old' }]);
  });
});

describe('decide: depends_on', () => {
  const services = [planned('web', ['db']), planned('db')];

  test('a dependency being started: the dependent waits for it (its instance, if any, stopped first when it must be replaced)', () => {
    assert.deepEqual(run({ services }).actions, [
      { type: 'start', service: 'db' },
      { type: 'wait', service: 'web', for: ['db'] },
    ]);
    const restart = run({ services, records: [record('db', 'pending', 'i1'), record('web', 'pending', 'i2')], instances: [instance('i1', 'db'), instance('i2', 'web')] });
    assert.equal(restart.summary, 'restart+stop:replaced+wait => starting');
  });

  test('a ready dependency: the dependent starts', () => {
    const got = run({ services, records: [record('db', 'ready', 'i1'), record('web', 'pending')], instances: [instance('i1', 'db')], trigger: 'resync' });
    assert.deepEqual(got.actions, [{ type: 'start', service: 'web' }]);
  });

  test('a failed or exited dependency: the dependent fails without a start, and the session fails naming the first broken service', () => {
    for (const status of ['failed', 'exited'] as const) {
      const got = run({ services, records: [record('db', status, null, 'no image'), record('web', 'pending')], trigger: 'resync' });
      assert.deepEqual(got.actions, [{ type: 'fail', service: 'web', reason: 'not started: it depends on db, which did not become ready' }]);
      assert.equal(got.summary, 'fail => failed');
    }
  });

  test('a dependency that exits while its dependent runs: the dependent keeps running (no cascade)', () => {
    const got = run({ services, records: [record('db', 'ready', 'i1'), record('web', 'ready', 'i2')], instances: [instance('i1', 'db', { state: 'exited', exitCode: 1 }), instance('i2', 'web')], trigger: 'resync' });
    assert.equal(got.summary, 'exited => failed');
  });

  test('a dependency on itself or in a cycle does not loop (plans reject cycles; decide must not hang on one)', () => {
    assert.equal(run({ services: [planned('a', ['b']), planned('b', ['a'])] }).summary, 'start+wait => starting');
  });
});

describe('decide: what the plan does not have', () => {
  test('an instance of an unplanned service is stopped and its record forgotten, whatever the trigger', () => {
    for (const trigger of TRIGGERS) {
      const got = run({ services: [], records: [record('old', 'ready', 'i1')], instances: [instance('i1', 'old')], trigger });
      assert.equal(got.summary, 'stop:unplanned+forget => running', trigger);
    }
  });

  test('an object without a service label (a job step) is removed by recovery only', () => {
    const got = TRIGGERS.map((trigger) => run({ services: [], instances: [instance('s1', undefined)], trigger }).summary);
    assert.deepEqual(got, ['- => running', 'stop:foreign => running', '- => running']);
  });

  test('a second live instance of a service is stopped; gone ones are not', () => {
    const instances = [instance('i1', 'web'), instance('i2', 'web'), instance('i3', 'web', { state: 'missing' })];
    assert.equal(run({ services: [planned('web')], records: [record('web', 'ready', 'i1')], instances }).summary, 'stop:duplicate => running');
    assert.equal(run({ services: [planned('web')], records: [record('web', 'pending')], instances }).summary, 'stop:duplicate+restart => starting');
  });
});

describe('decide: the session', () => {
  test('desired stopped or stopping: teardown; already stopped: nothing', () => {
    const teardown = (session: 'running' | 'stopped', status: SessionStatus) =>
      decide({ session, services: [] }, { instances: [instance('i1', 'web')], busy: new Map() }, { session: { status }, services: [record('web', 'ready', 'i1')] }, 'command').actions;
    for (const status of ['starting', 'running', 'failed', 'stopping'] as const) assert.deepEqual(teardown('stopped', status), [{ type: 'teardown' }], status);
    assert.deepEqual(teardown('running', 'stopping'), [{ type: 'teardown' }]);
    assert.deepEqual(teardown('stopped', 'stopped'), []);
  });

  test('no service planned: running', () => {
    assert.equal(run({ services: [], status: 'starting', trigger: 'resync' }).summary, '- => running');
  });

  test('a broken service fails the session only once nothing else is on its way up', () => {
    const records = [record('db', 'failed', null, 'port in use'), record('web', 'starting', 'i2')];
    assert.equal(run({ services: [planned('db'), planned('web')], records, busy: [['web', 'h1']], trigger: 'resync' }).summary, 'wait => =');
    const settled = decide(
      { session: 'running', services: [planned('db'), planned('web')] },
      { instances: [instance('i2', 'web')], busy: new Map() },
      { session: { status: 'starting' }, services: [record('db', 'failed', null, 'port in use'), record('web', 'ready', 'i2')] },
      'resync',
    );
    assert.deepEqual(settled.session, { status: 'failed', reason: 'service db failed: port in use' });
  });

  test('an exited service: the session fails naming it and how it ended', () => {
    const got = decide(
      { session: 'running', services: [planned('web')] },
      { instances: [instance('i1', 'web', { state: 'exited', exitCode: null, signal: 'SIGKILL' })], busy: new Map() },
      { session: { status: 'running' }, services: [record('web', 'ready', 'i1')] },
      'resync',
    );
    assert.deepEqual(got.session, { status: 'failed', reason: 'service web exited: exited with signal SIGKILL' });
  });
});

describe('exitReason', () => {
  test('the words a record keeps for each way an instance ends', () => {
    assert.equal(exitReason({ state: 'exited', exitCode: 137 }), 'exited with code 137');
    assert.equal(exitReason({ state: 'exited', exitCode: null, signal: 'SIGTERM', reason: 'OOMKilled' }), 'exited with signal SIGTERM (OOMKilled)');
    assert.equal(exitReason({ state: 'exited', exitCode: null }), 'exited with code unknown');
    assert.equal(exitReason({ state: 'missing' }), 'disappeared from the runtime');
    assert.equal(exitReason({ state: 'waiting', reason: 'ImagePullBackOff', fatal: true }), 'ImagePullBackOff');
  });
});
