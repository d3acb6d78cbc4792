import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SessionContext } from '../plan/index.ts';
import { loadPipelineFile, parsePipeline } from '../spec/index.ts';
import { allInTurns, BATCH, makePlan, makePlanInTurns, storedPlan } from './context.ts';

test('allInTurns begins BATCH items per turn, lets other work in between, and rejects with the first failure after all settled', async () => {
  const events: string[] = [];
  const items = Array.from({ length: BATCH * 2 + 1 }, (_, i) => i);
  // Other work queued now runs after the first batch began, before the second.
  setImmediate(() => events.push('other work'));
  const settledAfterFailure: number[] = [];
  await assert.rejects(
    allInTurns(items, async (i) => {
      events.push(`begin ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (i === 3 || i === BATCH * 2) throw new Error(`item ${i} failed`);
      settledAfterFailure.push(i);
    }),
    /item 3 failed/,
  );
  assert.equal(events.indexOf('other work'), BATCH, JSON.stringify(events.slice(0, BATCH + 2)));
  assert.equal(settledAfterFailure.length, items.length - 2, 'every other item still ran to its end');
});

test('a stored plan reads back as the plan that was made: what PlanCache.remember keeps is what a read would give', async () => {
  const examples = new URL('../../examples/', import.meta.url).pathname;
  for (const file of ['demo/demo.orchest', 'orchest-templates/services.orchest', 'legacy/legacy.orchest']) {
    const loaded = await loadPipelineFile(join(examples, file));
    assert.ok(loaded.spec, file);
    const context: SessionContext = {
      installationId: 'i',
      projectUuid: 'p',
      pipelineUuid: loaded.spec.uuid,
      pipelinePath: file,
      sessionType: 'interactive',
      projectDir: '/projects/p',
      dataDir: '/data',
      userEnv: { SECRET: 'kept out' },
    };
    const stored = storedPlan(makePlan(loaded.spec, context), context);
    assert.ok(stored.value.plan.services.length > 0, file);
    assert.deepEqual(JSON.parse(stored.json), stored.value, file);
    assert.ok(!stored.json.includes('kept out'), "the context's user env stays out of the row (what a service inherits is in its plan, sealed at rest)");
  }
});

test('a large pipeline is planned in turns: other work runs in between, and the plan is the one makePlan makes', async () => {
  const services = Object.fromEntries(
    Array.from({ length: BATCH * 3 }, (_, i) => [`s${i}`, { name: `s${i}`, image: 'redis', scope: ['interactive'], ports: [7000 + i], exposed: true, order: i }]),
  );
  const text = JSON.stringify({ name: 'p', uuid: '0e0e0e0e-0000-4000-8000-000000000002', version: '1.2.3', steps: {}, parameters: {}, settings: {}, services });
  const { spec } = parsePipeline(text, 'large.orchest');
  assert.ok(spec);
  const context: SessionContext = { installationId: 'i', projectUuid: 'p', pipelineUuid: spec.uuid, pipelinePath: 'large.orchest', sessionType: 'interactive', projectDir: '/p', dataDir: '/d', userEnv: {} };
  // Other work: a task queued in every turn of the event loop until the plan is made.
  let otherWork = 0;
  let planned = false;
  const work = (): void => {
    if (planned) return;
    otherWork += 1;
    setImmediate(work);
  };
  setImmediate(work);
  const inTurns = await makePlanInTurns(spec, context);
  planned = true;
  assert.ok(otherWork >= 2, `other work ran ${otherWork} times while ${BATCH * 3} services were planned`);
  assert.deepEqual(inTurns, makePlan(spec, context));
});
