#!/usr/bin/env node
// The `berth` executable. It runs the bundle in dist/ (`npm run build`; `npm ci`, `npm start` and
// `npm test` build it) when that bundle is fresh: none of the source files it was built from changed
// since (dist/build.json). Otherwise (no dist/, or src/ edited since the build) it runs the
// TypeScript in src/ through tsx, slower to start but never stale. BERTH_FROM_SOURCE=1 forces tsx.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** dist/build.json when every source file it lists is still as old as the build. */
function freshBuild() {
  if (process.env.BERTH_FROM_SOURCE === '1') return undefined;
  let build;
  try {
    build = JSON.parse(readFileSync(new URL('dist/build.json', root), 'utf8'));
  } catch {
    return undefined;
  }
  for (const input of build.inputs) {
    try {
      if (statSync(new URL(input, root)).mtimeMs > build.builtAt) return undefined;
    } catch {
      return undefined; // a source file was moved or deleted since the build
    }
  }
  return build;
}

const build = freshBuild();
if (build) {
  const { main } = await import(new URL(`dist/${build.entry}`, root).href);
  await main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  await main(process.argv);
}
