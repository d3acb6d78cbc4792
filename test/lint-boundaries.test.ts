/**
 * The folder-boundary lint rule (`berth/boundaries`, docs/architecture.md "Folder boundaries") run
 * through ESLint's Node API with the repository's own eslint.config.js, on code placed at paths
 * inside src/ and web/src/ (the files need not exist: the rule reads only the path and the import).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root, overrideConfigFile: `${root}eslint.config.js` });

/** The boundary messages ESLint reports for `code` as the file `filePath` (repository-relative). */
async function boundaryMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  assert.ok(result, `ESLint linted ${filePath}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `the snippet for ${filePath} parses`);
  return result.messages.filter((m) => m.ruleId === 'berth/boundaries').map((m) => m.message);
}

describe('lint: features import each other through index.ts', () => {
  test('a type import past another feature index fails, naming the import and the index to use', async () => {
    const messages = await boundaryMessages('src/plan/example.ts', "import type { PipelineSpec } from '../spec/types.ts';\nexport type P = PipelineSpec;\n");
    assert.deepEqual(messages, ["'../spec/types.ts' reaches past src/spec/index.ts: import from '../spec/index.ts' (re-export what is missing there)."]);
  });

  test('the same import through the index passes', async () => {
    assert.deepEqual(await boundaryMessages('src/plan/example.ts', "import type { PipelineSpec } from '../spec/index.ts';\nexport type P = PipelineSpec;\n"), []);
  });

  test("another feature's browser-safe entry passes too (what a browser-safe feature such as src/api must use)", async () => {
    assert.deepEqual(await boundaryMessages('src/api/example.ts', "import type { PipelineSpec } from '../spec/browser.ts';\nexport type P = PipelineSpec;\n"), []);
  });

  test('a subfolder reaching into another feature fails; reaching into its own feature passes', async () => {
    const code = "import { routeBasePath } from '../../plan/naming.ts';\nimport type { Runtime } from '../types.ts';\nexport const x: [typeof routeBasePath, Runtime?] = [routeBasePath];\n";
    const messages = await boundaryMessages('src/runtime/docker/example.ts', code);
    assert.deepEqual(messages, ["'../../plan/naming.ts' reaches past src/plan/index.ts: import from '../../plan/index.ts' (re-export what is missing there)."]);
  });

  test('re-exports and dynamic imports are checked too', async () => {
    const code = "export { parsePipeline } from '../spec/parse.ts';\nexport const load = () => import('../store/db.ts');\n";
    const messages = await boundaryMessages('src/jobs/example.ts', code);
    assert.equal(messages.length, 2);
    assert.match(messages[0] ?? '', /'\.\.\/spec\/parse\.ts' reaches past src\/spec\/index\.ts/);
    assert.match(messages[1] ?? '', /'\.\.\/store\/db\.ts' reaches past src\/store\/index\.ts/);
  });
});

describe('lint: src never imports test code', () => {
  const code = "import { skipUnless } from '../../test/support/requirements.ts';\nexport const s = skipUnless;\n";

  test('a src module importing test/ fails', async () => {
    const messages = await boundaryMessages('src/runtime/example.ts', code);
    assert.deepEqual(messages, [
      "'../../test/support/requirements.ts': src must not import test code (test/, bench/, *.test.ts, fixtures, test helpers); move what production needs into src.",
    ]);
  });

  test('a src module importing a test helper kept beside the code fails, even in its own feature', async () => {
    const messages = await boundaryMessages('src/runtime/local/example.ts', "import { testServicePlan } from '../test-plan.ts';\nexport const t = testServicePlan;\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /^'\.\.\/test-plan\.ts': src must not import test code/);
  });

  test('a test beside the code may import test/support and internals', async () => {
    const internals = `${code}import { createDockerClient } from '../runtime/docker/client.ts';\nexport const c = createDockerClient;\n`;
    assert.deepEqual(await boundaryMessages('src/jobs/example.test.ts', internals), []);
  });
});

describe('lint: web imports server code only through browser.ts', () => {
  test('a server internal fails, naming the browser-safe entry', async () => {
    const messages = await boundaryMessages('web/src/lib/example.ts', "import { validatePipeline } from '../../../src/spec/validate.ts';\nexport const v = validatePipeline;\n");
    assert.deepEqual(messages, [
      "'../../../src/spec/validate.ts' is a server internal: web/src imports server code only from '../../../src/spec/browser.ts' (src/spec/browser.ts, browser-safe; add the export there).",
    ]);
  });

  test('a type import from a feature index fails too (web tsc would check its Node graph)', async () => {
    const messages = await boundaryMessages('web/src/lib/example.ts', "import type { PipelineSpec } from '../../../src/spec/index.ts';\nexport type P = PipelineSpec;\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /only from '\.\.\/\.\.\/\.\.\/src\/spec\/browser\.ts'/);
  });

  test('the browser entry passes', async () => {
    const code = "import { validatePipeline, type PipelineSpec } from '../../../src/spec/browser.ts';\nexport const v: [typeof validatePipeline, PipelineSpec?] = [validatePipeline];\n";
    assert.deepEqual(await boundaryMessages('web/src/lib/example.ts', code), []);
  });
});
