#!/usr/bin/env node
// The `berth` executable. It runs the bundle in dist/ (`npm run build`; `npm ci`, `npm start` and
// `npm test` build it) while it is fresh: none of the source files it was built from changed since
// (fresh-dist.mjs). Otherwise (no dist/, or src/ edited since the build) it runs the TypeScript in
// src/ through tsx: slower to start, never stale. BERTH_FROM_SOURCE=1 always runs src/.
import { readFileSync } from 'node:fs';
import { freshDist } from './fresh-dist.mjs';

const root = new URL('../', import.meta.url);
const args = process.argv.slice(2);
// Scripts ask `berth --version` to see that berth is there: it answers before any code loads.
const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');
const build = versionOnly || process.env.BERTH_FROM_SOURCE === '1' ? undefined : freshDist(root);
if (versionOnly) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version}\n`);
} else if (build) {
  const { main } = await import(new URL(`dist/${build.entry}`, root).href);
  await main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  await main(process.argv);
}
