#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ (or under the paths given) with node:test through tsx.
// Node 20's `--test` does not expand globs, so the files are found here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const roots = args.length ? args : ['src', 'test'];

/** @param {string} dir @returns {string[]} */
function findTests(dir) {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    return [];
  }
  if (stat.isFile()) return dir.endsWith('.test.ts') ? [dir] : [];
  return readdirSync(dir)
    .filter((name) => name !== 'node_modules' && !name.startsWith('.'))
    .flatMap((name) => findTests(join(dir, name)));
}

const files = roots.flatMap((r) => findTests(join(root, r))).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
console.log(`running ${files.length} test files`);
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  // A test that hangs fails after 10 minutes (the longest set their own timeout) instead of holding CI to its limit.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit', env: { ...process.env, BERTH_TEST: '1' } },
);
process.exit(result.status ?? 1);
