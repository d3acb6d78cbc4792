/**
 * The session manager against an in-memory runtime (src/runtime/fixtures/fake-runtime.ts): each
 * test drives the manager through its public API, injects what a real runtime would do (a start
 * that fails, an exit, readiness that never comes, a slow stop, a restart of Berth itself) and
 * asserts what can be observed: the records in the store, the runtime's instances, the events.
 *
 * The state machines under test (docs/architecture.md, "Sessions"), as today's manager has them:
 * - session: starting → running | failed; running → failed (a service exited); running | failed →
 *   starting (restart, apply); any → stopping → stopped; stopping → starting (a start during a
 *   stop); stopped → starting; after a restart of Berth: starting again (recovery), stopping →
 *   stopped (an interrupted stop finished), → failed (recovery's runtime calls fail).
 * - service: pending → starting → ready | failed; pending → failed (a dependency failed);
 *   ready → exited (exit watcher: exit, gone, fatal); ready → starting → ready (the runtime replaces
 *   its instance); ready | failed | exited → pending (restart, apply); exited → starting (any later
 *   reconcile); gone when apply removes it or the session stops; after a restart of Berth: adopted
 *   (→ starting → ready on the same instance) or restarted (→ pending → starting → ready).
 * The `fixed bugs` block at the end holds tests of what the manager before the controller got wrong.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { LABELS } from '../plan/index.ts';
import { RuntimeError } from '../runtime/index.ts';
import { FakeRuntime } from '../runtime/fixtures/fake-runtime.ts';
import type { PipelineSpec, ServiceSpec } from '../spec/index.ts';
import { CoreStore, coreMigrations, openDatabase, type Db, type ServiceRecord, type SessionRecord } from '../store/index.ts';
import { SessionManager, SPEC_HASH_LABEL, type SessionEvent } from './manager.ts';

const INSTALLATION = 'manager-test';
const PROJECT_UUID = '766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b';
const PIPELINE_UUID = '8c1a2b3c-1234-4abc-9def-0123456789ab';
/** Deadline of a readiness that never comes, in the specs below (the planner's default is 60 s). */
const SHORT_TIMEOUT_SECONDS = 0.2;

/** A service spec as a validated pipeline file has it; `order` is filled in by `pipeline`. */
function service(name: string, fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, image: 'redis:7', scope: ['interactive', 'noninteractive'], ports: [], exposed: false, order: 0, ...fields };
}

function pipeline(...services: ServiceSpec[]): PipelineSpec {
  return {
    uuid: PIPELINE_UUID,
    name: 'services',
    version: '1.2.3',
    steps: {},
    services: Object.fromEntries(services.map((s, i) => [s.name, { ...s, order: i + 1 }])),
  };
}

/** What the local runtime throws when something on the host already listens on the service's port 8080. */
function portInUse(name: string): RuntimeError {
  return new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', { service: name, port: 8080, index: 0, isolationReason: "services listen on the host's real ports" });
}

/**
 * One Berth: a store in a temp dir, the fake runtime, and the manager of the moment. `crash()`
 * replaces the manager with a new one over the same store and runtime, as a restart after SIGKILL.
 */
class TestBerth {
  readonly runtime: FakeRuntime;
  readonly store: CoreStore;
  readonly dir: string;
  /** Every event of every manager, in order. */
  readonly events: SessionEvent[] = [];
  sessions: SessionManager;
  readonly #db: Db;
  readonly #resyncMs: number | undefined;
  readonly #watchIntervalMs: number;

  /**
   * `resyncMs`: how often every session is reconciled whatever the exit watcher saw (default: the manager's 30 s);
   * `watchIntervalMs`: the exit watcher's tick (default 20 ms); `tellsExits`: the runtime tells exits as they happen.
   */
  constructor(t: TestContext, options: { resyncMs?: number; watchIntervalMs?: number; tellsExits?: boolean } = {}) {
    this.runtime = new FakeRuntime({ tellsExits: options.tellsExits ?? false });
    this.#resyncMs = options.resyncMs;
    this.#watchIntervalMs = options.watchIntervalMs ?? 20;
    this.dir = mkdtempSync(join(tmpdir(), 'berth-manager-'));
    this.#db = openDatabase(join(this.dir, 'berth.db'), [coreMigrations]);
    this.store = new CoreStore(this.#db);
    this.sessions = this.#manager();
    t.after(async () => {
      await this.sessions.close();
      this.#db.close();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  #manager(): SessionManager {
    const manager = new SessionManager({
      store: this.store,
      runtime: this.runtime,
      installationId: INSTALLATION,
      stateDir: this.dir,
      sharedDataDir: join(this.dir, 'data'),
      logger: pino({ level: 'silent' }),
      graceMs: 10,
      // The exit watcher polls this often: fast enough for tests to see an exit within a few ticks.
      watchIntervalMs: this.#watchIntervalMs,
      ...(this.#resyncMs ? { resyncMs: this.#resyncMs } : {}),
    });
    manager.on('event', (event) => this.events.push(event));
    return manager;
  }

  /** Starts the pipeline's interactive session and returns its uuid (the session is `starting`). */
  async start(spec: PipelineSpec): Promise<string> {
    const view = await this.sessions.start({ projectUuid: PROJECT_UUID, pipelinePath: 'main.orchest', spec, projectDir: this.dir, type: 'interactive', userEnv: {} });
    return view.uuid;
  }

  /** Starts the session and waits until it is no longer starting. */
  async startSettled(spec: PipelineSpec): Promise<string> {
    const sessionUuid = await this.start(spec);
    await this.settled(sessionUuid);
    return sessionUuid;
  }

  apply(sessionUuid: string, spec: PipelineSpec) {
    return this.sessions.apply(sessionUuid, { projectUuid: PROJECT_UUID, pipelinePath: 'main.orchest', spec, projectDir: this.dir, userEnv: {} });
  }

  /**
   * SIGKILL, then a new server: the old manager only stops watching and waiting (its in-flight
   * readiness waits write nothing once aborted), the store and the runtime keep what they had.
   */
  async crash(): Promise<SessionManager> {
    await this.sessions.close();
    this.sessions = this.#manager();
    return this.sessions;
  }

  session(sessionUuid: string): SessionRecord {
    const record = this.store.getSession(sessionUuid);
    assert.ok(record, `session ${sessionUuid} is recorded`);
    return record;
  }

  service(sessionUuid: string, name: string): ServiceRecord {
    const record = this.store.getService(sessionUuid, name);
    assert.ok(record, `service ${name} is recorded`);
    return record;
  }

  /** Waits until the session is neither starting nor stopping, and returns its record. */
  async settled(sessionUuid: string): Promise<SessionRecord> {
    await until(`session ${sessionUuid} to settle`, () => !['starting', 'stopping'].includes(this.session(sessionUuid).status));
    return this.session(sessionUuid);
  }

  /** The statuses one service went through, from the events. */
  serviceStatuses(name: string): string[] {
    return this.events.filter((e) => e.type === 'service' && e.service === name).map((e) => (e.type === 'service' ? e.status : ''));
  }

  sessionStatuses(): string[] {
    return this.events.filter((e) => e.type === 'session').map((e) => (e.type === 'session' ? e.status : ''));
  }

  /** Forgets the events so far: the next assertions read only what follows. */
  clearEvents(): void {
    this.events.length = 0;
  }

  /** How many times the runtime was asked to start `name`. */
  starts(name: string): number {
    return this.runtime.calls.filter((c) => c === `start ${name}`).length;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The manager's wording for a service that did not become ready in time (from the readiness layer). */
const TIMEOUT_REASON = new RegExp(`^service web was not ready after ${SHORT_TIMEOUT_SECONDS} s: .*last attempt: fake: web not ready yet`);

describe('session start', () => {
  test('session starting → running and services pending → starting → ready when every service becomes ready', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db', { ports: [6379] }), service('web')));

    const session = berth.session(sid);
    assert.equal(session.status, 'running');
    assert.equal(session.reason, null);
    assert.deepEqual(berth.sessionStatuses(), ['starting', 'running']);
    for (const name of ['db', 'web']) {
      const record = berth.service(sid, name);
      assert.equal(record.status, 'ready');
      assert.equal(record.attempt, 1);
      assert.ok(record.readyAt, `${name} has its ready time`);
      assert.deepEqual(berth.serviceStatuses(name), ['starting', 'ready']);
    }
    assert.deepEqual(berth.service(sid, 'db').endpoints, { 6379: { host: 'db.fake', port: 6379 } });
    // The records name the instances that run, and those carry the plan's hash for recovery.
    const instances = berth.runtime.instances(sid);
    assert.deepEqual(instances.map((i) => i.service).sort(), ['db', 'web']);
    for (const instance of instances) {
      assert.equal(berth.service(sid, instance.service).runtimeId, instance.id);
      assert.equal(instance.labels[SPEC_HASH_LABEL], berth.service(sid, instance.service).specHash);
      assert.equal(instance.labels[LABELS.installation], INSTALLATION);
    }
    assert.ok(berth.runtime.calls.includes(`prepareSession ${sid}`));
  });

  test('service starting → ready waits for the runtime to say ready; the session stays starting meanwhile', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: 150 });
    const sid = await berth.start(pipeline(service('db'), service('web')));

    await until('web to be starting on an instance', () => berth.store.getService(sid, 'web')?.runtimeId != null);
    assert.equal(berth.service(sid, 'web').status, 'starting');
    assert.equal(berth.session(sid).status, 'starting');
    const session = await berth.settled(sid);
    assert.equal(session.status, 'running');
    const web = berth.service(sid, 'web');
    assert.ok(Date.parse(web.readyAt!) - Date.parse(web.startedAt!) >= 140, `ready ${web.readyAt} at least 150 ms after the start ${web.startedAt}`);
  });

  test('service starting → failed when the runtime cannot start it; session starting → failed naming it, the others keep running', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { startError: portInUse('web') });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));

    const web = berth.service(sid, 'web');
    assert.equal(web.status, 'failed');
    assert.equal(web.reason, 'service web: port 8080 is already in use on this host');
    assert.equal((web.details as { code: string }).code, 'BERTH_RUNTIME_PORT_IN_USE');
    assert.equal(web.runtimeId, null);
    assert.deepEqual(berth.serviceStatuses('web'), ['starting', 'failed']);
    const session = berth.session(sid);
    assert.equal(session.status, 'failed');
    assert.equal(session.reason, 'service web failed: service web: port 8080 is already in use on this host');
    assert.equal(berth.service(sid, 'db').status, 'ready');
    assert.deepEqual(berth.runtime.services(sid), ['db']);
  });

  test('service starting → failed when readiness never comes: the timeout message, its last log lines, its instance stopped', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: Infinity });
    const sid = await berth.startSettled(pipeline(service('db'), service('web', { readiness: { type: 'none', timeout_seconds: SHORT_TIMEOUT_SECONDS } })));

    const web = berth.service(sid, 'web');
    assert.equal(web.status, 'failed');
    assert.match(web.reason ?? '', TIMEOUT_REASON);
    const details = web.details as { code: string; lastLogLines: string[] };
    assert.equal(details.code, 'BERTH_READINESS_TIMEOUT');
    assert.equal(details.lastLogLines.length, 1);
    assert.match(details.lastLogLines[0] ?? '', /^fake: web runs as fake-\d+$/);
    // A service that failed its start is stopped: a failed session holds no half-started work.
    assert.deepEqual(berth.runtime.services(sid), ['db']);
    assert.equal(berth.session(sid).status, 'failed');
    assert.match(berth.session(sid).reason ?? '', /^service web failed: service web was not ready after 0\.2 s/);
  });

  test('service starting → failed when its instance exits before it is ready', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: Infinity, exitAfterMs: 50, exitCode: 3 });
    const sid = await berth.startSettled(pipeline(service('web')));

    const web = berth.service(sid, 'web');
    assert.equal(web.status, 'failed');
    assert.match(web.reason ?? '', /^service web exited before it was ready \(exit code 3\)/);
    assert.equal((web.details as { code: string }).code, 'BERTH_READINESS_EXITED');
    assert.deepEqual(berth.runtime.services(sid), []);
    assert.equal(berth.session(sid).status, 'failed');
  });

  test('service pending → failed without a start when a service it depends on does not become ready', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('db', { startError: new RuntimeError('BERTH_RUNTIME_IMAGE_PULL', { image: 'redis:7', reason: 'manifest unknown' }) });
    const sid = await berth.startSettled(pipeline(service('db'), service('web', { depends_on: ['db'] })));

    const web = berth.service(sid, 'web');
    assert.equal(web.status, 'failed');
    assert.equal(web.reason, 'not started: it depends on db, which did not become ready');
    assert.equal(berth.starts('web'), 0);
    assert.deepEqual(berth.serviceStatuses('web'), ['failed']);
    assert.equal(berth.session(sid).status, 'failed');
  });

  test('service pending → starting only once the service it depends on is ready', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('db', { readyAfterMs: 100 });
    const sid = await berth.startSettled(pipeline(service('web', { depends_on: ['db'] }), service('db')));

    assert.equal(berth.session(sid).status, 'running');
    const db = berth.service(sid, 'db');
    const web = berth.service(sid, 'web');
    assert.ok(Date.parse(web.startedAt!) >= Date.parse(db.readyAt!), `web started ${web.startedAt}, after db was ready ${db.readyAt}`);
  });

  test('start of a session already starting or running returns it unchanged', async (t) => {
    const berth = new TestBerth(t);
    const spec = pipeline(service('web'));
    const sid = await berth.startSettled(spec);
    const before = berth.service(sid, 'web');

    assert.equal(await berth.start(spec), sid);
    assert.equal(berth.session(sid).status, 'running');
    assert.equal(berth.starts('web'), 1);
    assert.equal(berth.service(sid, 'web').runtimeId, before.runtimeId);
  });
});

describe('exit watcher', () => {
  test('service ready → exited and session running → failed when an instance exits (no restart policy: it stays down)', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    berth.clearEvents();

    berth.runtime.exit('web', 137);
    await until('the session to fail', () => berth.session(sid).status === 'failed');

    const web = berth.service(sid, 'web');
    assert.equal(web.status, 'exited');
    assert.equal(web.reason, 'exited with code 137');
    assert.deepEqual((web.details as { lastLogLines: string[] }).lastLogLines, [`fake: web runs as ${web.runtimeId}`]);
    assert.equal(berth.session(sid).reason, 'service web exited: exited with code 137');
    assert.deepEqual(berth.serviceStatuses('web'), ['exited']);
    assert.deepEqual(berth.sessionStatuses(), ['failed']);
    assert.equal(berth.service(sid, 'db').status, 'ready');
    assert.equal(berth.starts('web'), 1, 'the manager does not restart it by itself');
  });

  test('an exit the runtime tells is acted on at once, and the ticks do not inspect what it will tell', async (t) => {
    const berth = new TestBerth(t, { tellsExits: true, watchIntervalMs: 60_000 });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    berth.runtime.exit('web', 137);
    // The next tick is a minute away: only the told exit can fail the session in time.
    await until('the session to fail', () => berth.session(sid).status === 'failed');
    assert.equal(berth.service(sid, 'web').reason, 'exited with code 137');
    assert.equal(berth.service(sid, 'db').status, 'ready');

    const ticking = new TestBerth(t, { tellsExits: true });
    await ticking.startSettled(pipeline(service('db'), service('web')));
    const before = ticking.runtime.inspections;
    await new Promise((resolve) => setTimeout(resolve, 200)); // ten ticks
    assert.equal(ticking.runtime.inspections, before, 'running instances whose exit will be told are not inspected');
  });

  test('service ready → exited when its instance disappears from the runtime', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));

    berth.runtime.vanish('web');
    await until('the session to fail', () => berth.session(sid).status === 'failed');
    assert.equal(berth.service(sid, 'web').status, 'exited');
    assert.equal(berth.service(sid, 'web').reason, 'disappeared from the runtime');
  });

  test('service ready → exited when the runtime reports it cannot run any more (fatal waiting)', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));

    berth.runtime.setState('web', { state: 'waiting', reason: 'ImagePullBackOff', fatal: true });
    await until('the session to fail', () => berth.session(sid).status === 'failed');
    assert.equal(berth.service(sid, 'web').status, 'exited');
    assert.equal(berth.service(sid, 'web').reason, 'ImagePullBackOff');
  });

  test('service ready → starting → ready when the runtime replaces its instance (waiting, not fatal), without a new start', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    const runtimeId = berth.service(sid, 'web').runtimeId;
    berth.clearEvents();

    berth.runtime.setState('web', { state: 'waiting', reason: 'pod evicted', fatal: false });
    await until('web to wait again', () => berth.service(sid, 'web').status === 'starting');
    assert.equal(berth.service(sid, 'web').reason, 'not ready again: pod evicted');
    berth.runtime.setState('web', undefined);
    await until('web to be ready again', () => berth.service(sid, 'web').status === 'ready');

    assert.deepEqual(berth.serviceStatuses('web'), ['starting', 'ready']);
    assert.equal(berth.service(sid, 'web').runtimeId, runtimeId);
    assert.equal(berth.starts('web'), 1);
    assert.equal(berth.session(sid).status, 'running');
  });
});

describe('stop', () => {
  test('session running → stopping → stopped: instances stopped, records and logs deleted, the session cleaned up', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const logDir = join(berth.dir, 'sessions', sid, 'logs');
    assert.ok(existsSync(join(logDir, 'web.log')));
    berth.clearEvents();

    const view = await berth.sessions.stop(sid);

    assert.equal(view.status, 'stopped');
    assert.deepEqual(view.services.map((s) => [s.name, s.status]), [['db', 'stopped'], ['web', 'stopped']]);
    assert.deepEqual(berth.sessionStatuses(), ['stopping', 'stopped']);
    assert.equal(berth.session(sid).desired, 'stopped');
    assert.deepEqual(berth.store.listServices(sid), []);
    assert.deepEqual(berth.runtime.instances(), []);
    assert.deepEqual(await berth.runtime.heldSessions(), []);
    assert.equal(existsSync(join(berth.dir, 'sessions', sid)), false);
  });

  test('a slow stop: the session reads stopping until every instance is gone, then stopped', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { stopMs: 150 });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));

    const began = Date.now();
    const stopped = berth.sessions.stop(sid);
    await until('db to be stopped', () => !berth.runtime.services(sid).includes('db'));
    assert.equal(berth.session(sid).status, 'stopping');
    assert.deepEqual(berth.runtime.services(sid), ['web']);
    assert.equal((await stopped).status, 'stopped');
    assert.ok(Date.now() - began >= 140, 'stop() resolved only after the slow instance was gone');
    assert.deepEqual(berth.runtime.instances(), []);
  });

  test('session starting → stopping → stopped while a readiness wait runs: the wait is aborted, no service is failed', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: Infinity });
    const sid = await berth.start(pipeline(service('db'), service('web', { readiness: { type: 'none', timeout_seconds: 30 } })));
    await until('web to be starting on an instance', () => berth.store.getService(sid, 'web')?.runtimeId != null);

    const began = Date.now();
    assert.equal((await berth.sessions.stop(sid)).status, 'stopped');
    assert.ok(Date.now() - began < 2_000, 'stop did not wait for the 30 s readiness deadline');
    assert.ok(!berth.serviceStatuses('web').includes('failed'));
    assert.ok(!berth.sessionStatuses().includes('failed'));
    assert.deepEqual(berth.runtime.instances(), []);
    await sleep(150); // an aborted reconcile writing late would show here
    assert.equal(berth.session(sid).status, 'stopped');
    assert.deepEqual(berth.store.listServices(sid), []);
  });

  test('session starting → stopped while the runtime is still starting a service: the start is aborted', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { startMs: 30_000 });
    const sid = await berth.start(pipeline(service('web')));
    await until('the runtime to be starting web', () => berth.starts('web') === 1);

    const began = Date.now();
    assert.equal((await berth.sessions.stop(sid)).status, 'stopped');
    assert.ok(Date.now() - began < 2_000);
    assert.deepEqual(berth.runtime.instances(), []);
    assert.ok(!berth.sessionStatuses().includes('failed'));
  });

  test('session stopping → starting → running: a start during a slow stop waits for the stop, then starts anew', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { stopMs: 100 });
    const spec = pipeline(service('web'));
    const sid = await berth.startSettled(spec);
    const old = berth.service(sid, 'web').runtimeId;
    berth.clearEvents();

    const stopping = berth.sessions.stop(sid);
    await berth.start(spec);
    assert.equal((await stopping).status, 'stopped');
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.deepEqual(berth.sessionStatuses(), ['stopping', 'stopped', 'starting', 'running']);
    assert.equal(berth.session(sid).desired, 'running');
    const instances = berth.runtime.instances(sid);
    assert.equal(instances.length, 1);
    assert.notEqual(instances[0]?.id, old);
  });

  test('session stopped → starting → running: a stopped session starts again from attempt 1', async (t) => {
    const berth = new TestBerth(t);
    const spec = pipeline(service('web'));
    const sid = await berth.startSettled(spec);
    await berth.sessions.stop(sid);

    assert.equal(await berth.start(spec), sid);
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.equal(berth.service(sid, 'web').attempt, 1);
    assert.deepEqual(berth.runtime.services(sid), ['web']);
  });
});

describe('restart', () => {
  test('one service ready → pending → starting → ready on a new instance; session running → starting → running; the others untouched', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const db = berth.service(sid, 'db');
    const web = berth.service(sid, 'web');
    berth.clearEvents();

    await berth.sessions.restart(sid, 'web');
    assert.equal((await berth.settled(sid)).status, 'running');

    assert.deepEqual(berth.serviceStatuses('web'), ['pending', 'starting', 'ready']);
    assert.deepEqual(berth.serviceStatuses('db'), []);
    assert.deepEqual(berth.sessionStatuses(), ['starting', 'running']);
    const restarted = berth.service(sid, 'web');
    assert.notEqual(restarted.runtimeId, web.runtimeId);
    assert.equal(restarted.attempt, 2);
    assert.equal(berth.service(sid, 'db').runtimeId, db.runtimeId);
    assert.deepEqual(berth.runtime.services(sid), ['db', 'web'], 'the old instance of web is gone');
  });

  test('every service: each gets a new instance', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const before = berth.runtime.instances(sid).map((i) => i.id);

    await berth.sessions.restart(sid);
    assert.equal((await berth.settled(sid)).status, 'running');
    const after = berth.runtime.instances(sid).map((i) => i.id);
    assert.equal(after.length, 2);
    assert.ok(after.every((id) => !before.includes(id)));
  });

  test('service failed → pending → starting → ready once fixed; session failed → starting → running', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', {
      startError: new RuntimeError('BERTH_RUNTIME_EXECUTABLE_NOT_FOUND', { run: 'service', service: 'web', executable: 'web-server', exists: false, argsOnly: false }),
    });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    assert.equal(berth.session(sid).status, 'failed');
    berth.clearEvents();

    berth.runtime.behave('web', {});
    await berth.sessions.restart(sid, 'web');
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.deepEqual(berth.serviceStatuses('web'), ['pending', 'starting', 'ready']);
    assert.deepEqual(berth.sessionStatuses(), ['starting', 'running']);
    assert.equal(berth.session(sid).reason, null);
  });

  test('service exited → pending → starting → ready: the exited instance is removed, a new one runs', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    const exitedId = berth.service(sid, 'web').runtimeId;
    berth.runtime.exit('web', 1);
    await until('the session to fail', () => berth.session(sid).status === 'failed');

    await berth.sessions.restart(sid, 'web');
    assert.equal((await berth.settled(sid)).status, 'running');
    const instances = berth.runtime.instances(sid);
    assert.equal(instances.length, 1);
    assert.notEqual(instances[0]?.id, exitedId);
    assert.equal(instances[0]?.state.state, 'running');
  });

  test('an exited service → starting → ready when a restart of another service reconciles the session: its dead instance replaced', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    berth.runtime.exit('web', 1);
    await until('the session to fail', () => berth.session(sid).status === 'failed');
    berth.clearEvents();

    await berth.sessions.restart(sid, 'db');
    assert.equal((await berth.settled(sid)).status, 'running');
    // Every reconcile brings up what is not ready, not only the services it was asked about.
    assert.deepEqual(berth.serviceStatuses('web'), ['starting', 'ready']);
    assert.equal(berth.service(sid, 'web').attempt, 2);
    assert.deepEqual(berth.runtime.services(sid), ['db', 'web']);
  });

  test('an unknown service or a stopped session is refused with its code', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    await assert.rejects(berth.sessions.restart(sid, 'nope'), { code: 'BERTH_SESSION_NO_SUCH_SERVICE' });
    await berth.sessions.stop(sid);
    await assert.rejects(berth.sessions.restart(sid, 'web'), { code: 'BERTH_SESSION_NOT_RUNNING' });
  });
});

describe('apply', () => {
  test('an added service starts, a removed one stops and loses its record, a changed one restarts, an unchanged one keeps its instance', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('keep'), service('change'), service('drop')));
    const keep = berth.service(sid, 'keep');
    const change = berth.service(sid, 'change');
    berth.clearEvents();

    const result = await berth.apply(sid, pipeline(service('keep'), service('change', { env_variables: { MODE: 'new' } }), service('add')));
    assert.deepEqual(result, { added: ['add'], removed: ['drop'], changed: ['change'], unchanged: ['keep'] });
    assert.equal((await berth.settled(sid)).status, 'running');

    assert.deepEqual(berth.runtime.services(sid), ['add', 'change', 'keep']);
    assert.deepEqual(berth.store.listServices(sid).map((s) => [s.name, s.status]).sort(), [['add', 'ready'], ['change', 'ready'], ['keep', 'ready']]);
    assert.equal(berth.service(sid, 'keep').runtimeId, keep.runtimeId);
    const changed = berth.service(sid, 'change');
    assert.notEqual(changed.runtimeId, change.runtimeId);
    assert.notEqual(changed.specHash, change.specHash);
    assert.equal(changed.attempt, 2);
    assert.deepEqual(berth.serviceStatuses('change'), ['pending', 'starting', 'ready']);
    assert.deepEqual(berth.serviceStatuses('add'), ['starting', 'ready']);
    assert.deepEqual(berth.serviceStatuses('keep'), []);
    assert.deepEqual(berth.sessionStatuses(), ['starting', 'running']);
    assert.deepEqual(berth.sessions.get(sid).services.map((s) => s.name), ['keep', 'change', 'add']);
  });

  test('session failed → starting → running when the applied plan fixes the failed service', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: Infinity });
    const sid = await berth.startSettled(pipeline(service('web', { readiness: { type: 'none', timeout_seconds: SHORT_TIMEOUT_SECONDS } })));
    assert.equal(berth.session(sid).status, 'failed');

    berth.runtime.behave('web', {});
    const result = await berth.apply(sid, pipeline(service('web', { readiness: { type: 'none', timeout_seconds: 5 } })));
    assert.deepEqual(result.changed, ['web']);
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.equal(berth.service(sid, 'web').status, 'ready');
  });

  test('a plan that cannot be made is refused and leaves the running session untouched', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const before = berth.store.listServices(sid);
    const planBefore = berth.session(sid).planJson;

    const cycle = pipeline(service('db', { depends_on: ['web'] }), service('web', { depends_on: ['db'] }));
    await assert.rejects(berth.apply(sid, cycle), (error: { code?: string }) => typeof error.code === 'string' && error.code.startsWith('BERTH_PLAN_'));
    assert.equal(berth.session(sid).status, 'running');
    assert.equal(berth.session(sid).planJson, planBefore);
    assert.deepEqual(berth.store.listServices(sid), before);
    assert.equal(berth.runtime.instances(sid).length, 2);
  });
});

describe('recovery after SIGKILL (a new manager over the same store and runtime)', () => {
  test('adopts instances that still run as planned: service ready → starting → ready on the same instance, no new start', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const ids = berth.runtime.instances(sid).map((i) => i.id);
    const calls = berth.runtime.calls.length;

    const sessions = await berth.crash();
    berth.clearEvents();
    assert.deepEqual(await sessions.recover(), { adopted: 2, restarted: 0, removed: 0 });
    assert.equal((await berth.settled(sid)).status, 'running');

    assert.deepEqual(berth.runtime.calls.slice(calls), [], 'nothing started, stopped or cleaned up');
    assert.deepEqual(berth.runtime.instances(sid).map((i) => i.id), ids);
    assert.deepEqual(berth.serviceStatuses('web'), ['ready'], 'readiness is checked again before it is ready');
    assert.equal(berth.service(sid, 'web').attempt, 1);
  });

  test('restarts what exited or vanished while Berth was away: service → pending → starting → ready on a new instance', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web'), service('cache')));
    const exited = berth.service(sid, 'web').runtimeId;

    const sessions = await berth.crash();
    berth.runtime.exit('web', 137);
    berth.runtime.vanish('cache');
    assert.deepEqual(await sessions.recover(), { adopted: 1, restarted: 2, removed: 0 });
    assert.equal((await berth.settled(sid)).status, 'running');

    assert.deepEqual(berth.runtime.services(sid), ['cache', 'db', 'web']);
    assert.ok(berth.runtime.instances(sid).every((i) => i.state.state === 'running' && i.id !== exited));
    assert.equal(berth.service(sid, 'web').attempt, 2);
    assert.equal(berth.service(sid, 'cache').attempt, 2);
    assert.equal(berth.service(sid, 'db').attempt, 1);
  });

  test('replaces an instance whose spec hash is not the stored plan', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    const [instance] = berth.runtime.instances(sid);
    assert.ok(instance);

    const sessions = await berth.crash();
    berth.runtime.vanish('web');
    const stale = berth.runtime.plant({ sessionUuid: sid, service: 'web' }, { ...instance.labels, [SPEC_HASH_LABEL]: 'an-older-plan' });
    assert.deepEqual(await sessions.recover(), { adopted: 0, restarted: 1, removed: 0 });
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.deepEqual(berth.runtime.services(sid), ['web']);
    assert.notEqual(berth.service(sid, 'web').runtimeId, stale.id);
  });

  test('a session killed while starting is brought to running: the started instance is adopted, readiness waited for', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: 150 });
    const sid = await berth.start(pipeline(service('web')));
    await until('web to be starting on an instance', () => berth.store.getService(sid, 'web')?.runtimeId != null);

    const sessions = await berth.crash();
    assert.equal(berth.session(sid).status, 'starting');
    assert.deepEqual(await sessions.recover(), { adopted: 1, restarted: 0, removed: 0 });
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.equal(berth.starts('web'), 1);
  });

  test('removes instances of services the stored plan no longer has', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    const [web] = berth.runtime.instances(sid);
    assert.ok(web);

    const sessions = await berth.crash();
    berth.runtime.plant({ sessionUuid: sid, service: 'old' }, { ...web.labels, [LABELS.service]: 'old' });
    assert.deepEqual(await sessions.recover(), { adopted: 1, restarted: 0, removed: 1 });
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.deepEqual(berth.runtime.services(sid), ['web']);
  });

  test('removes orphans: instances and held sessions no recorded session wants; other installations are left alone', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('web')));
    const sessions = await berth.crash();
    const labels = (sessionUuid: string, installation = INSTALLATION) => ({
      [LABELS.installation]: installation,
      [LABELS.session]: sessionUuid,
      [LABELS.service]: 'web',
    });
    berth.runtime.plant({ sessionUuid: 'ghost', service: 'web' }, labels('ghost'));
    berth.runtime.plant({ sessionUuid: 'theirs', service: 'web' }, labels('theirs', 'another-installation'));
    await berth.runtime.prepareSession('held-only');

    assert.deepEqual(await sessions.recover(), { adopted: 1, restarted: 0, removed: 1 });
    assert.deepEqual(berth.runtime.services('ghost'), []);
    assert.deepEqual(berth.runtime.services('theirs'), ['web']);
    assert.ok(berth.runtime.calls.includes('cleanupSession ghost'));
    assert.ok(berth.runtime.calls.includes('cleanupSession held-only'));
    assert.deepEqual(await berth.runtime.heldSessions(), [sid]);
  });

  test('finishes an interrupted stop: session stopping → stopped, its instances and records gone', async (t) => {
    const berth = new TestBerth(t);
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));

    const sessions = await berth.crash();
    // Killed between stop()'s first write and its teardown: the store says stopping, everything still runs.
    berth.store.updateSession(sid, { desired: 'stopped', status: 'stopping' });
    berth.clearEvents();
    await sessions.recover();

    assert.equal(berth.session(sid).status, 'stopped');
    assert.deepEqual(berth.sessionStatuses(), ['stopped']);
    assert.deepEqual(berth.runtime.instances(), []);
    assert.deepEqual(berth.store.listServices(sid), []);
    assert.deepEqual(await berth.runtime.heldSessions(), []);
  });

  test('a failed session is retried: its failed service → pending → starting → ready once the runtime can start it', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { startError: portInUse('web') });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    assert.equal(berth.session(sid).status, 'failed');

    const sessions = await berth.crash();
    berth.runtime.behave('web', {});
    assert.deepEqual(await sessions.recover(), { adopted: 1, restarted: 1, removed: 0 });
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.equal(berth.service(sid, 'web').status, 'ready');
  });
});

describe('recovery: failures', () => {
  test('session → failed when recovery cannot stop a stale instance; the other sessions recover all the same', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', {
      stopError: new RuntimeError('BERTH_RUNTIME_ENGINE', { socketPath: '/run/docker.sock', method: 'POST', path: '/containers/fake-1/stop', status: 500, engineMessage: 'the engine did not answer' }),
    });
    const sid = await berth.startSettled(pipeline(service('web')));

    const sessions = await berth.crash();
    berth.runtime.exit('web', 1);
    await sessions.recover();
    assert.equal(berth.session(sid).status, 'failed');
    assert.equal(berth.session(sid).reason, 'container engine at /run/docker.sock refused POST /containers/fake-1/stop (HTTP 500): the engine did not answer');
  });
});

describe('controller', () => {
  test('apply while a service still waits for its readiness: the wait is cancelled and the new plan starts at once, nothing failed', async (t) => {
    const berth = new TestBerth(t);
    berth.runtime.behave('web', { readyAfterMs: Infinity });
    const sid = await berth.start(pipeline(service('web', { readiness: { type: 'none', timeout_seconds: 30 } })));
    await until('web to be starting on an instance', () => berth.store.getService(sid, 'web')?.runtimeId != null);
    const waited = berth.service(sid, 'web').runtimeId;

    berth.runtime.behave('web', {});
    const began = Date.now();
    assert.deepEqual((await berth.apply(sid, pipeline(service('web', { env_variables: { MODE: 'new' } })))).changed, ['web']);
    assert.equal((await berth.settled(sid)).status, 'running');
    assert.ok(Date.now() - began < 2_000, 'apply did not wait for the 30 s readiness deadline');
    assert.ok(!berth.serviceStatuses('web').includes('failed'), `web went ${berth.serviceStatuses('web').join(' → ')}`);
    const [instance] = berth.runtime.instances(sid);
    assert.notEqual(instance?.id, waited);
    assert.equal(instance?.labels[SPEC_HASH_LABEL], berth.service(sid, 'web').specHash);
  });

  test('the periodic resync removes an instance the plan does not have and leaves an exited service down', async (t) => {
    const berth = new TestBerth(t, { resyncMs: 60 });
    const sid = await berth.startSettled(pipeline(service('db'), service('web')));
    const db = berth.service(sid, 'db').runtimeId;
    const [instance] = berth.runtime.instances(sid);
    assert.ok(instance);

    // Every service runs, so the exit watcher sees nothing: only the resync finds the stray instance.
    berth.runtime.plant({ sessionUuid: sid, service: 'stray' }, { ...instance.labels, [LABELS.service]: 'stray' });
    await until('the stray instance to be removed', () => !berth.runtime.services(sid).includes('stray'));
    assert.equal(berth.session(sid).status, 'running');
    berth.runtime.exit('web', 1);
    await until('the session to fail', () => berth.session(sid).status === 'failed');
    await sleep(150); // a few more resyncs
    assert.equal(berth.service(sid, 'web').status, 'exited');
    assert.equal(berth.starts('web'), 1, 'a resync does not restart an exited service');
    assert.equal(berth.service(sid, 'db').runtimeId, db);
  });
});

/**
 * Bugs of the manager before the controller (issue 16, point 1), each shown by a test of what it
 * should do: a start whose prepareSession threw stayed starting; a failed session started again
 * had its running services refused; a restart queued behind a readiness wait.
 */
describe('fixed bugs', () => {
  test(
    'a start whose runtime cannot prepare the session leaves it failed (or unrecorded), not starting forever',
    async (t) => {
      const berth = new TestBerth(t);
      berth.runtime.prepareError = new RuntimeError('BERTH_RUNTIME_NAME_CONFLICT', { kind: 'network', name: 'berth-session', socketPath: '/run/docker.sock' });
      const spec = pipeline(service('web'));
      await assert.rejects(berth.start(spec), { code: 'BERTH_RUNTIME_NAME_CONFLICT' });
      for (const session of berth.store.listSessions({})) assert.notEqual(session.status, 'starting', 'no session is left starting');

      // Once the runtime can, starting again brings it up.
      berth.runtime.prepareError = undefined;
      const sid = await berth.start(spec);
      assert.equal((await berth.settled(sid)).status, 'running');
    },
  );

  test(
    'session failed → starting → running when started again: the services still running are replaced, not refused',
    async (t) => {
      const berth = new TestBerth(t);
      berth.runtime.behave('web', { startError: portInUse('web') });
      const spec = pipeline(service('db'), service('web'));
      const sid = await berth.startSettled(spec);
      assert.equal(berth.session(sid).status, 'failed');

      berth.runtime.behave('web', {});
      await berth.start(spec);
      const session = await berth.settled(sid);
      assert.equal(session.status, 'running', `the session is ${session.status}: ${session.reason}`);
      assert.deepEqual(berth.runtime.services(sid), ['db', 'web']);
    },
  );

  test(
    'restart of a service still waiting for its readiness restarts it at once, without failing it first',
    async (t) => {
      const berth = new TestBerth(t);
      berth.runtime.behave('web', { readyAfterMs: Infinity });
      const sid = await berth.start(pipeline(service('web', { readiness: { type: 'none', timeout_seconds: 0.5 } })));
      await until('web to be starting on an instance', () => berth.store.getService(sid, 'web')?.runtimeId != null);

      berth.runtime.behave('web', {});
      const began = Date.now();
      await berth.sessions.restart(sid, 'web');
      const waited = Date.now() - began;
      assert.equal((await berth.settled(sid)).status, 'running');
      assert.ok(waited < 250, `restart() answered after ${waited} ms`);
      assert.ok(!berth.serviceStatuses('web').includes('failed'), `web went ${berth.serviceStatuses('web').join(' → ')}`);
    },
  );
});
