/* eslint-disable @typescript-eslint/no-explicit-any -- these tests poke at untyped JSON on purpose */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectStyle, serializePipeline, writePipelineFile } from './serialize.ts';
import { parsePipeline } from './parse.ts';
import { SpecError } from './errors.ts';
import type { Diagnostic, PipelineSpec } from './types.ts';

const templatesExample = fileURLToPath(new URL('../../examples/orchest-templates/services.orchest', import.meta.url));

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function loadExample(): Promise<{ text: string; spec: PipelineSpec }> {
  const text = await readFile(templatesExample, 'utf8');
  const spec = parsePipeline(text, templatesExample).spec;
  assert.ok(spec);
  return { text, spec };
}

describe('serializePipeline', () => {
  test('an edit changes only the edited lines, keeping sorted keys and 4-space indentation', async () => {
    const { text, spec } = await loadExample();
    const redis = spec.services?.redis;
    assert.ok(redis);
    redis.ports = [6380];
    const out = serializePipeline(spec, text);
    const before = text.split('\n');
    const after = out.split('\n');
    assert.equal(after.length, before.length);
    const changed = after.map((line, i) => (line === before[i] ? null : line)).filter((line) => line !== null);
    assert.deepEqual(changed, ['                6380']);
    assert.equal(out.endsWith('\n'), false, 'Orchest writes no final newline, so neither do we');
  });

  test('a new field goes to its sorted place when the original was sorted', async () => {
    const { text, spec } = await loadExample();
    const redis = spec.services?.redis;
    assert.ok(redis);
    redis.depends_on = ['streamlit'];
    const out = JSON.parse(serializePipeline(spec, text)) as PipelineSpec;
    assert.deepEqual(Object.keys(out.services?.redis ?? {}), ['depends_on', 'exposed', 'image', 'name', 'order', 'ports', 'requires_authentication', 'scope']);
  });

  test('unsorted originals keep their order and new keys go last; tabs and final newline are kept', () => {
    const original = '{\n\t"version": "1.2.3",\n\t"name": "p",\n\t"uuid": "u",\n\t"steps": {}\n}\n';
    const spec = { ...(JSON.parse(original) as PipelineSpec), parameters: {} };
    assert.equal(serializePipeline(spec, original), '{\n\t"version": "1.2.3",\n\t"name": "p",\n\t"uuid": "u",\n\t"steps": {},\n\t"parameters": {}\n}\n');
  });

  test('escapes non-ASCII when the original did (Python json.dump)', () => {
    const original = '{\n    "name": "caf\\u00e9",\n    "steps": {}\n}';
    assert.equal(detectStyle(original).asciiOnly, true);
    const spec = { name: 'café!', steps: {} } as unknown as PipelineSpec;
    assert.equal(serializePipeline(spec, original), '{\n    "name": "caf\\u00e9!",\n    "steps": {}\n}');
  });

  test('unknown fields survive a serialize', async () => {
    const { text, spec } = await loadExample();
    const withExtra = { ...spec, x_owner: 'team-a', services: { ...spec.services, redis: { ...spec.services!.redis!, x_note: 'keep' } } } as PipelineSpec;
    const out = JSON.parse(serializePipeline(withExtra, text)) as Record<string, any>;
    assert.equal(out.x_owner, 'team-a');
    assert.equal(out.services.redis.x_note, 'keep');
  });
});

describe('writePipelineFile', () => {
  test('writes atomically, keeping the style, and leaves no temp file', async (t) => {
    const dir = await tempDir(t);
    const { text, spec } = await loadExample();
    const file = join(dir, 'services.orchest');
    await writeFile(file, text);
    spec.services!.redis!.exposed = false;
    const written = await writePipelineFile(file, spec, { expectedContent: text });
    assert.equal(await readFile(file, 'utf8'), written);
    assert.match(written, /"exposed": false,\n {12}"image": "redis"/);
    assert.deepEqual(await readdir(dir), ['services.orchest']);
  });

  test('refuses an invalid spec, lists the diagnostics and leaves the original intact', async (t) => {
    const dir = await tempDir(t);
    const { text, spec } = await loadExample();
    const file = join(dir, 'services.orchest');
    await writeFile(file, text);
    spec.services!.redis!.ports = [0];
    spec.services!.vscode!.scope = [];
    await assert.rejects(writePipelineFile(file, spec), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.code, 'BERTH_SPEC_INVALID');
      assert.match(error.message, /not written, 2 problems; first: services\.redis\.ports\[0\]: 0 is outside the port range/);
      const details = error.details as Diagnostic[];
      assert.deepEqual(details.map((d) => d.path).sort(), ['services.redis.ports[0]', 'services.vscode.scope']);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), text);
    assert.deepEqual(await readdir(dir), ['services.orchest']);
  });

  test('refuses when the file changed on disk since it was read', async (t) => {
    const dir = await tempDir(t);
    const { text, spec } = await loadExample();
    const file = join(dir, 'services.orchest');
    const edited = text.replace('"tensorflow/tensorflow"', '"tensorflow/tensorflow:2.15.0"');
    await writeFile(file, edited);
    await assert.rejects(writePipelineFile(file, spec, { expectedContent: text }), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.code, 'BERTH_SPEC_CHANGED_ON_DISK');
      assert.equal(error.message, `${file} changed on disk since it was read; not overwriting those changes`);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), edited);
  });

  test('creates a new file with 4-space indentation and a final newline', async (t) => {
    const dir = await tempDir(t);
    const { spec } = await loadExample();
    const file = join(dir, 'new.orchest');
    const written = await writePipelineFile(file, spec);
    assert.ok(written.startsWith('{\n    "name": "services",'));
    assert.ok(written.endsWith('}\n'));
  });

  test('a missing directory is BERTH_SPEC_WRITE_FAILED', async () => {
    const { spec } = await loadExample();
    await assert.rejects(writePipelineFile('/nonexistent-berth-dir/x.orchest', spec), { code: 'BERTH_SPEC_WRITE_FAILED' });
  });
});

describe('writePipelineFile concurrency', () => {
  test('two saves based on the same content: the second is refused, not silently lost', async (t) => {
    const dir = await tempDir(t);
    const { text, spec } = await loadExample();
    const file = join(dir, 'services.orchest');
    await writeFile(file, text);
    const a = structuredClone(spec);
    a.services!.redis!.ports = [6380];
    const b = structuredClone(spec);
    b.services!.redis!.ports = [6381];
    const results = await Promise.allSettled([writePipelineFile(file, a, { expectedContent: text }), writePipelineFile(file, b, { expectedContent: text })]);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    assert.equal((results[1] as PromiseRejectedResult).reason.code, 'BERTH_SPEC_CHANGED_ON_DISK');
    assert.match(await readFile(file, 'utf8'), /6380/);
  });
});
