/**
 * ESLint rule `berth/boundaries`: folder boundaries (docs/architecture.md, "Folder boundaries").
 *
 * - src/**: a feature is a top-level folder of src (spec, plan, runtime, proxy, …). Inside one
 *   feature, subfolders included, imports are free; another feature is reached only through its
 *   `src/<feature>/index.ts`, `import type` included (types are erased, but the index is the
 *   contract: re-export what is missing with `export type`), or its browser-safe `browser.ts`,
 *   which a browser-safe feature (src/api) must use: its index may reach node:*.
 * - src/** never imports test/ or bench/, nor the test helpers kept beside the code (below):
 *   production code must not depend on test code.
 * - web/src/** reaches server code only through a browser-safe entry `src/<feature>/browser.ts`
 *   (types and pure functions, nothing touching node:*). Not even `import type` from an index.ts:
 *   web's tsc would then check the whole Node graph behind it, which does not compile for the browser.
 *
 * Test code may import internals (fakes, fixtures) and test/support: test/**, bench/** (outside
 * this rule's files) and, inside src, the test files beside the code: `*.test.ts` and the helpers
 * only they import (`fixtures.ts`, `fixtures/`, `test-helpers.ts`, `test-plan.ts`).
 */
import path from 'node:path';

const TEST_SUPPORT = [/\.test\.tsx?$/, /(^|\/)fixtures\.ts$/, /(^|\/)fixtures\//, /(^|\/)test-helpers\.ts$/, /(^|\/)test-plan\.ts$/];

/** The import as the importing file would write it: relative, with a leading `./` or `../`. */
function relativeSpecifier(fromFile, toRepoPath, root) {
  const rel = path.relative(path.dirname(fromFile), path.join(root, toRepoPath)).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** The problem with importing `target` (a repo-relative path) from `importer`, or undefined. */
function problemOf(importer, target) {
  if (importer.startsWith('web/src/')) {
    if (!target.startsWith('src/')) return undefined;
    const parts = target.split('/');
    if (parts.length === 3 && parts[2] === 'browser.ts') return undefined;
    return { messageId: 'webInternal', entry: `src/${parts[1]}/browser.ts` };
  }
  if (!importer.startsWith('src/') || TEST_SUPPORT.some((pattern) => pattern.test(importer))) return undefined;
  if (target.startsWith('test/') || target.startsWith('bench/')) return { messageId: 'srcTest' };
  if (TEST_SUPPORT.some((pattern) => pattern.test(target))) return { messageId: 'srcTest' };
  const from = importer.split('/');
  const to = target.split('/');
  if (to[0] !== 'src' || to.length < 3 || to[1] === from[1]) return undefined;
  if (to.length === 3 && (to[2] === 'index.ts' || to[2] === 'browser.ts')) return undefined;
  return { messageId: 'deepImport', entry: `src/${to[1]}/index.ts` };
}

/** @param {string} root the repository root (where eslint.config.js is) */
export function boundariesPlugin(root) {
  const rule = {
    meta: {
      type: 'problem',
      docs: { description: 'folder boundaries: features through index.ts, no test code in src, web through browser.ts' },
      schema: [],
      messages: {
        deepImport: "'{{source}}' reaches past {{entry}}: import from '{{suggest}}' (re-export what is missing there).",
        srcTest:
          "'{{source}}': src must not import test code (test/, bench/, *.test.ts, fixtures, test helpers); move what production needs into src.",
        webInternal:
          "'{{source}}' is a server internal: web/src imports server code only from '{{suggest}}' ({{entry}}, browser-safe; add the export there).",
      },
    },
    create(context) {
      const importer = path.relative(root, context.physicalFilename ?? context.filename).split(path.sep).join('/');
      function check(node) {
        const source = node.source;
        if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
        const target = path
          .relative(root, path.resolve(path.dirname(path.join(root, importer)), source.value))
          .split(path.sep)
          .join('/');
        const problem = problemOf(importer, target);
        if (!problem) return;
        const suggest = problem.entry ? relativeSpecifier(path.join(root, importer), problem.entry, root) : '';
        context.report({ node: source, messageId: problem.messageId, data: { source: source.value, entry: problem.entry ?? '', suggest } });
      }
      return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
    },
  };
  return { rules: { boundaries: rule } };
}
