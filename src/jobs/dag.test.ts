import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineSpec, StepSpec } from '../spec/types.ts';
import { orderSteps, walkDag, type DagStep, type StepOutcome } from './dag.ts';
import type { StepStatus } from './store.ts';

function step(uuid: string, incoming: string[] = [], title = uuid.toUpperCase()): StepSpec {
  return { uuid, title, file_path: `${uuid}.py`, incoming_connections: incoming, environment: '', parameters: {} };
}

function pipeline(...steps: StepSpec[]): PipelineSpec {
  return { uuid: 'p', name: 'dag', version: '1.2.3', steps: Object.fromEntries(steps.map((s) => [s.uuid, s])) };
}

describe('orderSteps', () => {
  test('dependencies come first; selection ignores connections to unselected steps', () => {
    const spec = pipeline(step('c', ['b']), step('b', ['a']), step('a'));
    assert.deepEqual(orderSteps(spec).steps.map((s) => s.uuid), ['a', 'b', 'c']);
    const selected = orderSteps(spec, ['C', 'b']);
    assert.deepEqual(selected.dag, [
      { uuid: 'b', title: 'B', dependsOn: [] },
      { uuid: 'c', title: 'C', dependsOn: ['b'] },
    ]);
  });

  test('cycles, unknown connections and unknown steps are errors that say where', () => {
    assert.throws(() => orderSteps(pipeline(step('a', ['b']), step('b', ['a']))), /the steps form a cycle: .*A -> B -> A|B -> A -> B/);
    assert.throws(() => orderSteps(pipeline(step('a', ['zzz']))), /step "A" has an incoming connection from unknown step zzz/);
    assert.throws(() => orderSteps(pipeline(step('a')), ['nope']), (error: Error & { hint?: string }) => {
      assert.equal(error.message, 'pipeline "dag" has no step "nope"');
      assert.match(error.hint ?? '', /A \(a\)/);
      return true;
    });
  });
});

describe('walkDag', () => {
  const dag: DagStep[] = [
    { uuid: 'a', title: 'A', dependsOn: [] },
    { uuid: 'b', title: 'B', dependsOn: ['a'] },
    { uuid: 'c', title: 'C', dependsOn: ['b'] },
    { uuid: 'd', title: 'D', dependsOn: [] },
  ];

  test('a failed step skips its descendants; independent steps still run; concurrency is bounded', async () => {
    let running = 0;
    let peak = 0;
    const reasons = new Map<string, string | undefined>();
    const result = await walkDag(dag, {
      concurrency: 2,
      signal: new AbortController().signal,
      execute: async (s): Promise<StepOutcome> => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running -= 1;
        return s.uuid === 'b' ? { status: 'failed', exitCode: 1, reason: 'boom' } : { status: 'succeeded', exitCode: 0 };
      },
      onStatus: (s, _status, details) => reasons.set(s.uuid, details?.reason),
    });
    assert.deepEqual(Object.fromEntries(result), { a: 'succeeded', b: 'failed', c: 'skipped', d: 'succeeded' });
    assert.equal(reasons.get('c'), 'not run: it depends on "B", which did not succeed');
    assert.ok(peak <= 2);
  });

  test('abort cancels the running step and skips the rest', async () => {
    const controller = new AbortController();
    const seen: [string, StepStatus][] = [];
    const result = await walkDag(dag, {
      concurrency: 1,
      signal: controller.signal,
      execute: (s, signal) =>
        new Promise<StepOutcome>((resolve) => {
          if (s.uuid === 'a') queueMicrotask(() => controller.abort());
          signal.addEventListener('abort', () => resolve({ status: 'cancelled', exitCode: null, reason: 'cancelled' }), { once: true });
        }),
      onStatus: (s, status) => seen.push([s.uuid, status]),
    });
    assert.deepEqual(Object.fromEntries(result), { a: 'cancelled', b: 'skipped', c: 'skipped', d: 'skipped' });
    assert.deepEqual(seen[0], ['a', 'running']);
  });
});
