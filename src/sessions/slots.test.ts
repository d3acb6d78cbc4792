import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { machinePressure, Slots, type Pressure } from './slots.ts';

async function until(what: string, check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !check(); await sleep(1)) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
  }
}

/** Operations that run until let go, counting how many run at once. */
function gatedWork(slots: Slots) {
  const gates: (() => void)[] = [];
  const counts = { running: 0, peak: 0, done: 0 };
  const begin = () =>
    slots.run(async () => {
      counts.running += 1;
      counts.peak = Math.max(counts.peak, counts.running);
      await new Promise<void>((resolve) => gates.push(resolve));
      counts.running -= 1;
      counts.done += 1;
    });
  const letGo = (n = gates.length) => gates.splice(0, n).forEach((resolve) => resolve());
  return { begin, letGo, counts };
}

test('without pacing, at most the limit run at once and every operation runs', async () => {
  const slots = new Slots(3);
  const work = gatedWork(slots);
  const all = Promise.all(Array.from({ length: 10 }, work.begin));
  await until('three running', () => work.counts.running === 3);
  while (work.counts.done < 10) {
    work.letGo();
    await sleep(1);
  }
  await all;
  assert.equal(work.counts.peak, 3);
});

test('paced: an overloaded machine halves the limit each window down to one; a free one grows it back one a window while work waits', async () => {
  let overloaded = true;
  const calls: string[] = [];
  const pressure: Pressure = { start: () => calls.push('start'), stop: () => calls.push('stop'), overloaded: () => overloaded };
  const slots = new Slots(8, { pressure, windowMs: 2 });
  const work = gatedWork(slots);
  const all = Promise.all(Array.from({ length: 30 }, work.begin));

  await until('the full limit at first', () => work.counts.running === 8);
  assert.deepEqual(calls, ['start'], 'measured while work runs');
  await until('the limit down to one', () => slots.limit === 1);
  work.letGo(); // the eight end; while overloaded, one at a time begins
  await until('one running', () => work.counts.running === 1);
  await sleep(20);
  assert.equal(work.counts.running, 1);

  overloaded = false;
  await until('the limit back to eight', () => slots.limit === 8);
  await until('eight running again', () => work.counts.running === 8);
  while (work.counts.done < 30) {
    work.letGo();
    await sleep(1);
  }
  await all;
  assert.equal(work.counts.peak, 8, 'never more than the maximum');
  assert.deepEqual(calls, ['start', 'stop'], 'not measured once nothing runs');
});

test('paced: a limit that is not needed does not grow; after a rest the limit is the maximum again and work is measured again', async () => {
  const calls: string[] = [];
  const pressure: Pressure = { start: () => calls.push('start'), stop: () => calls.push('stop'), overloaded: () => calls.length < 3 };
  const slots = new Slots(4, { pressure, windowMs: 2 });
  const work = gatedWork(slots);
  const first = work.begin();
  await until('halved to one', () => slots.limit === 1);
  await sleep(20);
  assert.equal(slots.limit, 1, 'nothing waits: no reason to grow');
  work.letGo();
  await first;
  assert.equal(slots.limit, 4, 'nothing runs: the next starts may all begin');
  const second = work.begin();
  await until('running', () => work.counts.running === 1);
  work.letGo();
  await second;
  assert.deepEqual(calls, ['start', 'stop', 'start', 'stop']);
});

test('machinePressure: a turn that holds the event loop past the bound is overloaded, a free loop is not; so are busy CPUs', async () => {
  const loopOnly = machinePressure({ minIdleShare: 0, maxLagMs: 20 });
  loopOnly.start();
  await sleep(50);
  assert.equal(loopOnly.overloaded(), false, 'timers on time');
  const end = Date.now() + 60;
  while (Date.now() < end) {
    // holds the event loop 60 ms: its next timer runs that much late
  }
  await sleep(15);
  assert.equal(loopOnly.overloaded(), true, 'a 60 ms turn');
  await sleep(50);
  assert.equal(loopOnly.overloaded(), false, 'each window on its own');
  loopOnly.stop();

  const cpuOnly = machinePressure({ minIdleShare: 1.01, maxLagMs: Number.POSITIVE_INFINITY });
  cpuOnly.start();
  await sleep(20);
  assert.equal(cpuOnly.overloaded(), true, 'never 101 % idle');
  cpuOnly.stop();
});
