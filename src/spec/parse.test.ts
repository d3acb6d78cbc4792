import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPipelineFile, parsePipeline } from './parse.ts';
import { serializePipeline } from './serialize.ts';
import { SpecError } from './errors.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const VALID_EXAMPLES = ['orchest-templates/services.orchest', 'legacy/legacy.orchest', 'demo/demo.orchest', 'redis/redis.orchest'];

describe('parsePipeline', () => {
  test('a JSON syntax error is a diagnostic with line and column', () => {
    const text = '{\n    "name": "p",\n    "uuid": "u"\n    "version": "1.2.3"\n}\n';
    const loaded = parsePipeline(text, 'bad.orchest');
    assert.equal(loaded.spec, undefined);
    assert.equal(loaded.diagnostics.length, 1);
    const [d] = loaded.diagnostics;
    assert.equal(d?.code, 'BERTH_SPEC_JSON_SYNTAX');
    assert.equal(d?.file, 'bad.orchest');
    assert.equal(d?.line, 4);
    assert.equal(d?.column, 5);
    assert.match(d?.message ?? '', /^the file is not valid JSON: .* at line 4, column 5$/);
  });

  test('truncated JSON points at the end', () => {
    const loaded = parsePipeline('{"name": "p",\n', 'cut.orchest');
    assert.equal(loaded.diagnostics[0]?.code, 'BERTH_SPEC_JSON_SYNTAX');
    assert.equal(loaded.diagnostics[0]?.line, 2);
  });

  test('a file that is not an object', () => {
    const loaded = parsePipeline('[1, 2]', 'list.orchest');
    assert.equal(loaded.diagnostics[0]?.message, '(file) must be a JSON object, not a list');
  });

  test('an unknown version is reported, not thrown', () => {
    const loaded = parsePipeline('{"version": "3.0.0", "steps": {}}', 'new.orchest');
    assert.equal(loaded.spec, undefined);
    assert.equal(loaded.diagnostics[0]?.code, 'BERTH_SPEC_VERSION_UNKNOWN');
    assert.equal(loaded.diagnostics[0]?.path, 'version');
  });

  test('an old file is migrated in memory and raw is what was read', async () => {
    const text = await readFile(`${examples}legacy/legacy.orchest`, 'utf8');
    const loaded = parsePipeline(text, 'legacy.orchest');
    assert.equal(loaded.sourceVersion, '1.0.0');
    assert.equal(loaded.migrated, true);
    assert.deepEqual(loaded.raw, JSON.parse(text));
    assert.equal(loaded.spec?.version, '1.2.3');
    assert.deepEqual(Object.keys(loaded.spec?.services ?? {}).sort(), ['redis', 'streamlit']);
    assert.equal(loaded.spec?.services?.streamlit?.command, 'bash');
    assert.deepEqual(loaded.spec?.services?.streamlit?.ports, [8501]);
    assert.deepEqual(loaded.diagnostics, []);
  });
});

describe('example projects', () => {
  for (const example of VALID_EXAMPLES) {
    test(`${example} is valid`, async () => {
      const loaded = await loadPipelineFile(`${examples}${example}`);
      assert.deepEqual(loaded.diagnostics, []);
    });
  }

  for (const example of ['orchest-templates/services.orchest', 'demo/demo.orchest', 'redis/redis.orchest']) {
    test(`${example} round-trips load -> serialize to the identical text`, async () => {
      const text = await readFile(`${examples}${example}`, 'utf8');
      const loaded = parsePipeline(text, example);
      assert.equal(loaded.migrated, false);
      assert.ok(loaded.spec);
      assert.equal(serializePipeline(loaded.spec, text), text);
      // Also through the formatter itself, not only the unchanged-content shortcut.
      const copy = structuredClone(loaded.spec);
      copy.x_probe = true;
      delete copy.x_probe;
      assert.equal(serializePipeline(copy, text.replace(/\}\s*$/, '    ,"x": 1}')).replace(/\n?$/, ''), text.replace(/\n?$/, ''));
    });
  }

  test('the demo names its API service hello-api, not the reserved api', async () => {
    const loaded = await loadPipelineFile(`${examples}demo/demo.orchest`);
    assert.deepEqual(Object.keys(loaded.spec?.services ?? {}).sort(), ['hello-api', 'web', 'worker']);
  });
});

describe('loadPipelineFile', () => {
  test('a missing file throws BERTH_SPEC_READ_FAILED', async () => {
    await assert.rejects(loadPipelineFile('/nonexistent/x.orchest'), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.code, 'BERTH_SPEC_READ_FAILED');
      assert.equal(error.message, 'cannot read pipeline file /nonexistent/x.orchest: no such file');
      return true;
    });
  });
});
