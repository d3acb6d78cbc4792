import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allInTurns, BATCH } from './context.ts';

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
      if (i === 3 || i === 40) throw new Error(`item ${i} failed`);
      settledAfterFailure.push(i);
    }),
    /item 3 failed/,
  );
  assert.equal(events.indexOf('other work'), BATCH, JSON.stringify(events.slice(0, BATCH + 2)));
  assert.equal(settledAfterFailure.length, items.length - 2, 'every other item still ran to its end');
});
