#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`, and by `npm start` and `npm test`):
// bundles the CLI into dist/ with esbuild so `berth` starts without tsx compiling TypeScript.
// One entry (src/cli/main.ts) with code splitting: each command's `await import()` becomes its own
// chunk, so a command loads only its code. Packages stay in node_modules (external).
//
// Each build goes to its own dist/build-<time>-<pid>/; dist/build.json, replaced by one rename at
// the end, names it and lists the source files it was built from (bin/berth.mjs runs dist/ only
// while none of them changed since). So a `berth` starting meanwhile runs the old build or the new
// one, never a half-written one, and one still running keeps its chunks: the build before is kept.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const started = Date.now();
const id = `build-${started}-${process.pid}`;

await mkdir(dist, { recursive: true });
const result = await build({
  absWorkingDir: root,
  // The pipeline reader is an entry too, so that its worker loads the spec code alone (src/spec/reader.ts).
  entryPoints: { cli: 'src/cli/main.ts', 'pipeline-reader': 'src/spec/reader.ts' },
  outdir: join(dist, id),
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

const manifest = join(dist, 'build.json');
const previous = await readFile(manifest, 'utf8').then((text) => JSON.parse(text).entry.split('/')[0], () => undefined);
const next = join(dist, `.build.json.${process.pid}`);
await writeFile(next, `${JSON.stringify({ builtAt: started, entry: `${id}/cli.js`, inputs }, null, 2)}\n`);
await rename(next, manifest);
for (const name of await readdir(dist)) {
  if (name.startsWith('build-') && name !== id && name !== previous) await rm(join(dist, name), { recursive: true, force: true });
}
if (!process.argv.includes('--quiet')) process.stdout.write(`dist/: ${inputs.length} source files bundled (${Date.now() - started} ms)\n`);
