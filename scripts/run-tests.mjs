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
// Tests whose figures are their point (`*.alone.test.ts`: liveness at scale) run after the others, by themselves:
// beside other tests on two cores they measured the machine's load more than Berth.
const alone = files.filter((f) => f.endsWith('.alone.test.ts'));
const together = files.filter((f) => !alone.includes(f));
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '2';

/** @param {string[]} list @param {string} concurrency @param {string} how @returns {number} the exit status */
function runTests(list, concurrency, how) {
  if (list.length === 0) return 0;
  console.log(`running ${list.length} test files ${how}`);
  const result = spawnSync(
    process.execPath,
    // A test that hangs fails after 10 minutes (the longest set their own timeout) instead of holding CI to its limit.
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...list.map((f) => relative(root, f))],
    { cwd: root, stdio: 'inherit', env: { ...process.env, BERTH_TEST: '1' } },
  );
  return result.status ?? 1;
}

const togetherStatus = runTests(together, concurrency, `${concurrency} at a time`);
const aloneStatus = runTests(alone, '1', 'by themselves');
process.exit(togetherStatus || aloneStatus);
