#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`, and by `npm start` and `npm test`):
// bundles the CLI into dist/ with esbuild so `berth` starts without tsx compiling TypeScript.
// One entry (src/cli/main.ts) with code splitting: each command's `await import()` becomes its own
// chunk, so a command loads only its code. Packages stay in node_modules (external).
// dist/build.json lists the source files the bundle was built from and when: bin/berth.mjs runs
// dist/ only while none of them changed since, and runs src/ through tsx otherwise.
import { build } from 'esbuild';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Built aside (in node_modules/.cache, which git and eslint ignore) and swapped in by two renames:
// a `berth` starting meanwhile sees the old bundle or the new one, never a half-written one.
const scratch = join(root, 'node_modules', '.cache', `berth-build-${process.pid}`);
const outdir = join(scratch, 'next');
const started = Date.now();

await mkdir(outdir, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  // No source maps: stack traces with TypeScript lines come from BERTH_FROM_SOURCE=1 (bin/berth.mjs).
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).sort();
await writeFile(join(outdir, 'build.json'), `${JSON.stringify({ builtAt: started, entry: 'cli.js', inputs }, null, 2)}\n`);
await rename(dist, join(scratch, 'old')).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(outdir, dist);
await rm(scratch, { recursive: true, force: true });
if (!process.argv.includes('--quiet')) process.stdout.write(`dist/: ${inputs.length} source files bundled (${Date.now() - started} ms)\n`);
