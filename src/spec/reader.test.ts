import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipeline } from './parse.ts';
import { PipelineReader } from './reader.ts';
import { SpecError } from './errors.ts';

function pipelineWith(services: number): string {
  const entries = Array.from({ length: services }, (_, i) => [`s${i}`, { name: `s${i}`, image: 'redis', scope: ['interactive'], ports: [6379], exposed: false, order: i }]);
  return JSON.stringify({ name: 'p', uuid: '0e0e0e0e-0000-4000-8000-000000000001', version: '1.2.3', steps: {}, parameters: {}, settings: {}, services: Object.fromEntries(entries) });
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-reader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a file parsed on the worker is what parsePipeline gives, diagnostics included', async (t) => {
  const dir = scratch(t);
  const reader = new PipelineReader();
  t.after(() => reader.close());
  const good = join(dir, 'good.orchest');
  writeFileSync(good, pipelineWith(3));
  const bad = join(dir, 'bad.orchest');
  writeFileSync(bad, pipelineWith(2).replace('"redis"', '42'));

  for (const file of [good, bad]) {
    const options = { runtime: 'local' };
    assert.deepEqual(await reader.load(file, options), parsePipeline(readFileSync(file, 'utf8'), file, options));
  }
  assert.equal((await reader.load(bad)).diagnostics[0]?.code, 'BERTH_SPEC_TYPE');
});

test('a file that cannot be read fails as loadPipelineFile does, on the calling thread', async (t) => {
  const reader = new PipelineReader();
  t.after(() => reader.close());
  await assert.rejects(reader.load(join(scratch(t), 'missing.orchest')), (error: unknown) => error instanceof SpecError && error.code === 'BERTH_SPEC_READ_FAILED');
});

test('the worker reads BERTH_MAX_SERVICES as the server has it now, not as it was when the worker started', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'three.orchest');
  writeFileSync(file, pipelineWith(3));
  const reader = new PipelineReader();
  t.after(() => reader.close());
  const before = process.env.BERTH_MAX_SERVICES;
  t.after(() => (before === undefined ? delete process.env.BERTH_MAX_SERVICES : (process.env.BERTH_MAX_SERVICES = before)));

  assert.deepEqual((await reader.load(file)).diagnostics, []);
  process.env.BERTH_MAX_SERVICES = '2';
  assert.deepEqual((await reader.load(file)).diagnostics.map((d) => d.code), ['BERTH_SPEC_TOO_MANY_SERVICES']);
});

test('loads waiting when the worker ends fail with the reason, and the next load starts a new worker', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'large.orchest');
  writeFileSync(file, pipelineWith(200));
  const reader = new PipelineReader();
  t.after(() => reader.close());

  // A new worker's first parse compiles the schemas (tens of milliseconds): the load is seen waiting.
  const waiting = reader.load(file);
  let settled = false;
  void waiting.finally(() => (settled = true)).catch(() => undefined);
  while (reader.pending === 0 && !settled) await new Promise((resolve) => setTimeout(resolve, 1));
  await reader.close();
  await assert.rejects(waiting, /the pipeline reader stopped/);
  assert.equal(Object.keys((await reader.load(file)).spec?.services ?? {}).length, 200);
});

test('a worker with nothing to read ends, and the next load starts another', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'small.orchest');
  writeFileSync(file, pipelineWith(2));
  const reader = new PipelineReader({ idleMs: 50 });
  t.after(() => reader.close());

  assert.equal((await reader.load(file)).spec?.name, 'p');
  assert.ok(reader.started);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(!reader.started, 'the idle worker ended');
  assert.equal((await reader.load(file)).spec?.name, 'p');
  assert.ok(reader.started);
});
