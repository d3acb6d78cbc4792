/**
 * Job runs against the in-memory runtime (src/runtime/fixtures/fake-runtime.ts) and a step executor
 * that only records: what a run does with its noninteractive session (services ready before the
 * first step, stopped after the last in every case) and its state machine, pending → starting →
 * running → succeeded | failed | cancelled, with starting → failed | cancelled when the services
 * do not come up, and failed (interrupted) when Berth was killed during the run.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { RuntimeError } from '../runtime/index.ts';
import { FakeRuntime } from '../runtime/fixtures/fake-runtime.ts';
import { SessionManager } from '../sessions/index.ts';
import type { PipelineSpec, ServiceSpec, StepSpec } from '../spec/index.ts';
import { CoreStore, coreMigrations, openDatabase, type Db } from '../store/index.ts';
import type { StepOutcome } from './dag.ts';
import type { StepExecution, StepExecutor } from './executor.ts';
import { Jobs, type JobEvent } from './jobs.ts';
import { jobMigrations } from './store.ts';

const PIPELINE_UUID = '8c1a2b3c-1234-4abc-9def-0123456789ab';

/**
 * Runs no program: each step's outcome is what the test said (succeeded by default). A step named
 * in `hold` runs until its run is cancelled; one in `hang` never ends, even when cancelled (a
 * Berth killed in the middle of it).
 */
class RecordingExecutor implements StepExecutor {
  readonly kind = 'local' as const;
  /** Titles of the steps run, in order, and what the session's services were when each began. */
  readonly ran: { title: string; services: Record<string, string> }[] = [];
  readonly outcomes = new Map<string, StepOutcome>();
  readonly hold = new Set<string>();
  readonly hang = new Set<string>();

  constructor(private readonly servicesOf: (sessionUuid: string) => Record<string, string>) {}

  async run(step: StepExecution): Promise<StepOutcome> {
    this.ran.push({ title: step.title, services: this.servicesOf(step.sessionUuid) });
    if (this.hang.has(step.title)) return new Promise<never>(() => {});
    if (this.hold.has(step.title)) {
      await new Promise((resolve) => step.signal.addEventListener('abort', resolve, { once: true }));
      return { status: 'cancelled', exitCode: null, reason: 'cancelled' };
    }
    return this.outcomes.get(step.title) ?? { status: 'succeeded', exitCode: 0 };
  }

  running(title: string): boolean {
    return this.ran.some((r) => r.title === title);
  }
}

function service(name: string, fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, image: 'redis:7', scope: ['noninteractive'], ports: [], exposed: false, order: 0, ...fields };
}

/** Steps in a chain, each after the one before it. */
function pipeline(steps: string[], ...services: ServiceSpec[]): PipelineSpec {
  const stepSpecs: Record<string, StepSpec> = {};
  steps.forEach((title, i) => {
    const uuid = `00000000-0000-4000-8000-00000000000${i}`;
    stepSpecs[uuid] = { uuid, title, file_path: `${title}.py`, incoming_connections: i ? [`00000000-0000-4000-8000-00000000000${i - 1}`] : [], environment: '', parameters: {} };
  });
  return {
    uuid: PIPELINE_UUID,
    name: 'job',
    version: '1.2.3',
    steps: stepSpecs,
    services: Object.fromEntries(services.map((s, i) => [s.name, { ...s, order: i + 1 }])),
  };
}

/** A store, the fake runtime, a session manager and Jobs on them; `crash()` replaces both as a SIGKILL would. */
class TestJobs {
  readonly runtime = new FakeRuntime();
  readonly store: CoreStore;
  readonly dir: string;
  readonly projectUuid: string;
  readonly events: JobEvent[] = [];
  sessions!: SessionManager;
  jobs!: Jobs;
  executor!: RecordingExecutor;
  readonly #db: Db;
  readonly #servicesTimeoutMs: number;

  /** @param servicesTimeoutMs how long a run waits for its services (Jobs' own deadline, not the services'). */
  constructor(t: TestContext, servicesTimeoutMs = 5_000) {
    this.#servicesTimeoutMs = servicesTimeoutMs;
    this.dir = mkdtempSync(join(tmpdir(), 'berth-runs-'));
    this.#db = openDatabase(join(this.dir, 'berth.db'), [coreMigrations, jobMigrations]);
    this.store = new CoreStore(this.#db);
    const projectDir = join(this.dir, 'project');
    mkdirSync(projectDir);
    this.projectUuid = this.store.addProject({ name: 'project', path: projectDir }).uuid;
    this.#build();
    t.after(async () => {
      await this.jobs.close();
      await this.sessions.close();
      this.#db.close();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  #build(): void {
    this.sessions = new SessionManager({
      store: this.store,
      runtime: this.runtime,
      installationId: 'runs-test',
      stateDir: join(this.dir, 'state'),
      sharedDataDir: join(this.dir, 'data'),
      logger: pino({ level: 'silent' }),
      graceMs: 10,
      watchIntervalMs: 20,
    });
    this.executor = new RecordingExecutor((sessionUuid) => this.serviceStatuses(sessionUuid));
    this.jobs = new Jobs({
      db: this.#db,
      store: this.store,
      sessions: this.sessions,
      dataDir: join(this.dir, 'state'),
      sharedDataDir: join(this.dir, 'data'),
      apiUrl: () => 'http://127.0.0.1:1',
      logger: pino({ level: 'silent' }),
      executor: this.executor,
      servicesTimeoutMs: this.#servicesTimeoutMs,
    });
    this.jobs.on('event', (event) => this.events.push(event));
  }

  /**
   * SIGKILL: the old manager stops watching, the old Jobs is left as it is (a step that hangs keeps
   * it from writing again), and a new manager and Jobs are built over the same store and runtime.
   */
  async crash(): Promise<void> {
    await this.sessions.close();
    this.#build();
  }

  /** Creates a job of the pipeline and starts a run of it; returns the run's uuid. */
  async startRun(spec: PipelineSpec): Promise<string> {
    const job = this.jobs.createJob({ projectUuid: this.projectUuid, pipelinePath: 'job.orchest', spec });
    return (await this.jobs.startRun(job.uuid)).uuid;
  }

  serviceStatuses(sessionUuid: string): Record<string, string> {
    return Object.fromEntries(this.store.listServices(sessionUuid).map((s) => [s.name, s.status]));
  }

  runStatuses(runUuid: string): string[] {
    return this.events.filter((e) => e.type === 'run' && e.runUuid === runUuid).map((e) => e.status);
  }

  steps(runUuid: string): [string, string][] {
    return this.jobs.getRun(runUuid).steps.map((s) => [s.title, s.status]);
  }

  /** The run's session ended with it: stopped in the store, nothing left in the runtime. */
  assertSessionGone(runUuid: string): void {
    assert.equal(this.store.getSession(runUuid)?.status, 'stopped');
    assert.deepEqual(this.runtime.instances(runUuid), []);
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('job runs', () => {
  test('run pending → starting → running → succeeded: steps run once every service is ready, the session is stopped after', async (t) => {
    const h = new TestJobs(t);
    h.runtime.behave('db', { readyAfterMs: 150 });
    const run = await h.startRun(pipeline(['load', 'train'], service('db'), service('cache')));
    const view = await h.jobs.waitRun(run, 5_000);

    assert.equal(view.status, 'succeeded');
    assert.deepEqual(h.runStatuses(run), ['starting', 'running', 'succeeded']);
    assert.deepEqual(h.executor.ran, [
      { title: 'load', services: { db: 'ready', cache: 'ready' } },
      { title: 'train', services: { db: 'ready', cache: 'ready' } },
    ]);
    assert.deepEqual(h.steps(run), [['load', 'succeeded'], ['train', 'succeeded']]);
    assert.deepEqual(view.servicesReady?.map((s) => s.name).sort(), ['cache', 'db']);
    h.assertSessionGone(run);
  });

  test('run starting → failed when a service fails: no step runs, every step skipped, the session stopped', async (t) => {
    const h = new TestJobs(t);
    h.runtime.behave('db', { startError: new RuntimeError('BERTH_RUNTIME_IMAGE_PULL', { image: 'redis:7', reason: 'manifest unknown' }) });
    const run = await h.startRun(pipeline(['load'], service('db')));
    const view = await h.jobs.waitRun(run, 5_000);

    assert.equal(view.status, 'failed');
    assert.equal(view.reason, "the run's services did not start: service db failed: image redis:7 is not present and pulling it failed: manifest unknown");
    assert.deepEqual(h.runStatuses(run), ['starting', 'failed']);
    assert.deepEqual(h.executor.ran, []);
    assert.deepEqual(h.steps(run), [['load', 'skipped']]);
    h.assertSessionGone(run);
  });

  test("run starting → failed when the services are not ready within the run's own deadline", async (t) => {
    // The run's deadline (1 s) is shorter than the service's own readiness deadline (30 s).
    const h = new TestJobs(t, 1_000);
    h.runtime.behave('db', { readyAfterMs: Infinity });
    const run = await h.startRun(pipeline(['load'], service('db', { readiness: { type: 'none', timeout_seconds: 30 } })));
    const view = await h.jobs.waitRun(run, 5_000);

    assert.equal(view.status, 'failed');
    assert.match(view.reason ?? '', /^the run's services were not ready after 1 s: db \(starting\)$/);
    assert.deepEqual(h.executor.ran, []);
    h.assertSessionGone(run);
  });

  test('run running → failed when a step fails: the steps after it are skipped, the session stopped', async (t) => {
    const h = new TestJobs(t);
    h.executor.outcomes.set('load', { status: 'failed', exitCode: 2, reason: 'step "load" exited with code 2' });
    const run = await h.startRun(pipeline(['load', 'train'], service('db')));
    const view = await h.jobs.waitRun(run, 5_000);

    assert.equal(view.status, 'failed');
    assert.equal(view.reason, 'step "load" exited with code 2');
    assert.deepEqual(h.runStatuses(run), ['starting', 'running', 'failed']);
    assert.deepEqual(h.steps(run), [['load', 'failed'], ['train', 'skipped']]);
    h.assertSessionGone(run);
  });

  test('run starting → cancelled while its services start: no step runs, the session stopped', async (t) => {
    const h = new TestJobs(t);
    h.runtime.behave('db', { readyAfterMs: Infinity });
    const run = await h.startRun(pipeline(['load'], service('db', { readiness: { type: 'none', timeout_seconds: 30 } })));
    await until('db to be starting', () => h.store.getService(run, 'db')?.status === 'starting');

    const view = await h.jobs.cancelRun(run);
    assert.equal(view.status, 'cancelled');
    assert.deepEqual(h.runStatuses(run), ['starting', 'cancelled']);
    assert.deepEqual(h.steps(run), [['load', 'skipped']]);
    h.assertSessionGone(run);
  });

  test('run running → cancelled during a step: the step cancelled, the rest skipped, the session stopped', async (t) => {
    const h = new TestJobs(t);
    h.executor.hold.add('load');
    const run = await h.startRun(pipeline(['load', 'train'], service('db')));
    await until('load to run', () => h.executor.running('load'));

    const view = await h.jobs.cancelRun(run);
    assert.equal(view.status, 'cancelled');
    assert.deepEqual(h.runStatuses(run), ['starting', 'running', 'cancelled']);
    assert.deepEqual(h.steps(run), [['load', 'cancelled'], ['train', 'skipped']]);
    h.assertSessionGone(run);
  });

  test('a service that exits while steps run fails the session, not the run: the steps decide, the session is stopped after', async (t) => {
    const h = new TestJobs(t);
    h.executor.hold.add('load');
    const run = await h.startRun(pipeline(['load'], service('db')));
    await until('load to run', () => h.executor.running('load'));

    h.runtime.exit('db', 137);
    await until('the session to fail', () => h.store.getSession(run)?.status === 'failed');
    assert.equal(h.jobs.getRun(run).status, 'running');
    assert.equal(h.jobs.getRun(run).sessionStatus, 'failed');
    const view = await h.jobs.cancelRun(run);
    assert.equal(view.status, 'cancelled');
    h.assertSessionGone(run);
  });

  test('run running → failed (interrupted) after a SIGKILL: the new server fails the run and stops its session', async (t) => {
    const h = new TestJobs(t);
    h.executor.hang.add('load');
    const run = await h.startRun(pipeline(['load', 'train'], service('db')));
    await until('load to run', () => h.executor.running('load'));

    await h.crash();
    assert.deepEqual(await h.sessions.recover(), { adopted: 1, restarted: 0, removed: 0 });
    assert.equal(await h.jobs.recover(), 1);

    const view = h.jobs.getRun(run);
    assert.equal(view.status, 'failed');
    assert.equal(view.reason, 'interrupted: Berth stopped while the run was in progress');
    assert.deepEqual(h.steps(run), [['load', 'cancelled'], ['train', 'skipped']]);
    h.assertSessionGone(run);
  });
});
