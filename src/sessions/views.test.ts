/**
 * Views of large sessions: what they take from the plan is made once, in turns, and the views of
 * services without a record are kept until the session changes (their JSON with them). Updates
 * since a cursor hold only the services whose view changed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planSession, sdkServiceView, type SessionPlan } from '../plan/index.ts';
import { context, templatesPipeline } from '../plan/fixtures.ts';
import { FakeRuntime } from '../runtime/fixtures/fake-runtime.ts';
import type { PipelineSpec } from '../spec/index.ts';
import type { ServiceRecord, SessionRecord } from '../store/index.ts';
import { BATCH } from '../shared/index.ts';
import { CURSOR_PATTERN, prepareSessionView, sessionInfoJson, sessionUpdate, sessionView, userServicesJson, type SessionView } from './views.ts';

const runtime = new FakeRuntime();
const logFile = (service: string) => `/logs/${service}.log`;

function record(plan: SessionPlan, fields: Partial<SessionRecord> = {}): SessionRecord {
  return {
    uuid: plan.sessionUuid,
    projectUuid: plan.projectUuid,
    pipelineUuid: plan.pipelineUuid,
    pipelinePath: plan.pipelinePath,
    type: 'interactive',
    runtime: 'fake',
    desired: 'running',
    status: 'starting',
    reason: null,
    planJson: '{}',
    createdAt: '2026-12-06T00:00:00.000Z',
    updatedAt: '2026-12-06T00:00:00.000Z',
    ...fields,
  };
}

/** A plan of `count` copies of the redis template. */
function largePlan(count: number): SessionPlan {
  const template = templatesPipeline();
  const redis = template.services?.redis;
  assert.ok(redis);
  const services = Object.fromEntries(Array.from({ length: count }, (_, i) => [`r${i}`, { ...redis, name: `r${i}`, order: i }]));
  return planSession({ ...template, services } as PipelineSpec, context());
}

/** Resolves `work`, counting the turns the event loop had meanwhile. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const count = () => {
    if (done) return;
    turns += 1;
    setImmediate(count);
  };
  setImmediate(count);
  const value = await work;
  done = true;
  return { value, turns };
}

test('services without a record: pending (stopped once the session is), each view and its JSON kept until the session record changes', () => {
  const plan = planSession(templatesPipeline(), context());
  const sources = { plan, records: [], runtime, logFile };
  const starting = record(plan);
  const first = sessionView(starting, sources);
  const again = sessionView({ ...starting }, sources);
  assert.deepEqual(
    first.services.map((s) => s.status),
    plan.services.map(() => 'pending'),
  );
  first.services.forEach((view, i) => assert.equal(again.services[i], view, `${view.name}: the same view object`));
  assert.equal(sessionInfoJson(again), sessionInfoJson(first));

  const stopped = sessionView(record(plan, { status: 'stopped', updatedAt: '2026-12-06T00:00:01.000Z' }), sources);
  assert.deepEqual(
    stopped.services.map((s) => [s.status, s.updatedAt]),
    plan.services.map(() => ['stopped', '2026-12-06T00:00:01.000Z']),
  );
  assert.notEqual(stopped.services[0], first.services[0]);
});

test("user_services: Orchest's started specs by name, in plan order, made once per plan and in turns", async () => {
  const plan = largePlan(200);
  const { value: json, turns } = await turnsDuring(userServicesJson(plan, runtime));
  assert.deepEqual(JSON.parse(json), Object.fromEntries(plan.services.map((s) => [s.name, JSON.parse(JSON.stringify(sdkServiceView(s, runtime.internalHostname(s))))])));
  assert.deepEqual(Object.keys(JSON.parse(json) as object), plan.services.map((s) => s.name));
  // 200 services are 200 / BATCH batches: the counter sees most of the turns between them (one in one turn).
  assert.ok(turns >= 200 / BATCH / 2, `the event loop had ${turns} turns while 200 services were made`);
  assert.equal(userServicesJson(plan, runtime), userServicesJson(plan, runtime), 'the same promise: made once');
});

test("a session's view and its JSON are prepared in turns, and the view then is what was prepared", async () => {
  const plan = largePlan(200);
  const session = record(plan);
  const sources = { plan, records: [], runtime, logFile };
  const { turns } = await turnsDuring(prepareSessionView(session, sources));
  // 200 services are 200 / BATCH batches (twice: their parts, then their views and JSON).
  assert.ok(turns >= 200 / BATCH, `the event loop had ${turns} turns while 200 services were prepared`);
  const view = sessionView(session, sources);
  const prepared = view.services[7];
  assert.deepEqual(prepared, {
    name: 'r7',
    status: 'pending',
    reason: null,
    details: null,
    specHash: plan.services[7]?.specHash,
    runtimeId: null,
    endpoints: null,
    attempt: 0,
    startedAt: null,
    readyAt: null,
    updatedAt: '2026-12-06T00:00:00.000Z',
    hostname: plan.services[7]?.hostname,
    internalHostname: runtime.internalHostname(plan.services[7]!),
    ports: [6379],
    exposed: true,
    urls: [`/service-r7-${plan.sessionUuid}_6379/`],
    logFile: '/logs/r7.log',
  });
  await prepareSessionView(session, sources);
  assert.equal(sessionView(session, sources).services[7], prepared, 'prepared again: the same view');
  const info = JSON.parse(sessionInfoJson(view)) as { services: Record<string, unknown>[] };
  assert.equal(info.services.length, 200);
  assert.deepEqual(Object.keys(info.services[7] ?? {}), ['name', 'status', 'reason', 'details', 'hostname', 'internalHostname', 'ports', 'exposed', 'urls', 'endpoints', 'runtimeId', 'attempt', 'startedAt', 'readyAt']);
  assert.equal(info.services[7]?.status, 'pending');
});

function serviceRecord(plan: SessionPlan, name: string, fields: Partial<ServiceRecord> = {}): ServiceRecord {
  const specHash = plan.services.find((s) => s.name === name)?.specHash ?? '';
  return { sessionUuid: plan.sessionUuid, name, status: 'ready', reason: null, details: null, specHash, runtimeId: `pid-${name}`, endpoints: null, attempt: 1, startedAt: null, readyAt: null, updatedAt: '2026-12-06T00:00:02.000Z', ...fields };
}

const names = (view: SessionView) => view.services.map((s) => s.name);

describe('sessionUpdate: the services changed since a cursor', () => {
  const plan = largePlan(5);
  const session = record(plan);
  const viewWith = (records: ServiceRecord[]) => sessionView(session, { plan, records, runtime, logFile });

  test('no cursor: the whole session; then only what changed, nothing when nothing did', () => {
    const first = sessionUpdate(viewWith([]), plan, undefined);
    assert.equal(first.complete, true);
    assert.deepEqual(names(first.view), ['r0', 'r1', 'r2', 'r3', 'r4']);
    assert.match(first.cursor, new RegExp(CURSOR_PATTERN));

    const same = sessionUpdate(viewWith([]), plan, first.cursor);
    assert.deepEqual([same.complete, names(same.view)], [false, []]);
    assert.equal(same.view.status, 'starting', "the session's own fields always come");

    const r1 = serviceRecord(plan, 'r1');
    const r3 = serviceRecord(plan, 'r3', { status: 'starting' });
    const started = sessionUpdate(viewWith([r1, r3]), plan, same.cursor);
    assert.deepEqual([started.complete, names(started.view)], [false, ['r1', 'r3']]);
    assert.equal(started.view.services[0]?.status, 'ready');

    const r3Ready = serviceRecord(plan, 'r3');
    const next = sessionUpdate(viewWith([r1, r3Ready]), plan, started.cursor);
    assert.deepEqual(names(next.view), ['r3']);
    assert.deepEqual(names(sessionUpdate(viewWith([r1, r3Ready]), plan, started.cursor).view), ['r3'], 'the same cursor again: the same answer');
  });

  test('a view that comes back (a record gone, the kept pending view again) counts as a change', () => {
    const start = sessionUpdate(viewWith([]), plan, undefined);
    const withRecord = sessionUpdate(viewWith([serviceRecord(plan, 'r2')]), plan, start.cursor);
    assert.deepEqual(names(withRecord.view), ['r2']);
    const without = sessionUpdate(viewWith([]), plan, withRecord.cursor);
    assert.deepEqual(names(without.view), ['r2']);
    assert.equal(without.view.services[0]?.status, 'pending');
  });

  test('another plan, another run of the server or a count not given yet: the whole session', () => {
    const { cursor } = sessionUpdate(viewWith([]), plan, undefined);
    const [run, planId, count] = cursor.split('.');
    const other = largePlan(5);
    const otherView = sessionView(session, { plan: other, records: [], runtime, logFile });
    assert.equal(sessionUpdate(otherView, other, cursor).complete, true, 'a new plan (apply, a new start)');
    const otherRun = run === 'a'.repeat(12) ? 'b'.repeat(12) : 'a'.repeat(12);
    assert.equal(sessionUpdate(viewWith([]), plan, `${otherRun}.${planId}.${count}`).complete, true, 'a restart of Berth counts anew');
    assert.equal(sessionUpdate(viewWith([]), plan, `${run}.${planId}.${Number(count) + 1_000_000}`).complete, true);
    assert.equal(sessionUpdate(viewWith([]), plan, `${run}.${planId}.${count}`).complete, false);
  });
});
