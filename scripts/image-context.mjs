#!/usr/bin/env node
// `npm run image:context [-- DIR]`: the build context of Berth's container image (default
// .berth-image/): what `berth serve` needs at run time (bin, the built CLI in dist/, src without
// tests, schema, examples, the Python SDK, the built UI, package files), the production
// node_modules of this checkout (`npm ci` must have run; dev dependencies are pruned offline), and
// deploy/image/Dockerfile.
// Then: docker build -t REGISTRY/berth:0.1.0 DIR
import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? join(root, '.berth-image'));

function fail(message, fix) {
  process.stderr.write(`image-context: ${message}\n  fix: ${fix}\n`);
  process.exit(1);
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) fail('node_modules is missing', 'run `npm ci` first');
if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
  process.stderr.write('image-context: building the UI (web/dist)\n');
  execFileSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
}
// The bundle bin/berth.mjs runs (src/ stays: TypeScript steps import the TS SDK from it, and it is
// the fallback should dist/ be older than a source file).
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
if (existsSync(out) && !existsSync(join(out, 'Dockerfile'))) fail(`${out} exists and is not an image context`, 'choose another directory or remove it');

const started = Date.now();
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

/** Tests, fixtures for tests and caches have no place in the image. */
const skip = (path) => /\.test\.ts$|\/golden\/|\/__pycache__\/|\/sdk\/python\/tests\/|\/node_modules\/\.cache\/|\/node_modules\/\.vite\//.test(path);
// Timestamps kept: bin/berth.mjs runs dist/ only while no source file is newer than the build.
const copy = (from, to = from) => cp(join(root, from), join(out, to), { recursive: true, preserveTimestamps: true, filter: (path) => !skip(path) });

await Promise.all([
  copy('bin'),
  copy('dist'),
  copy('src'),
  copy('schema'),
  copy('examples'),
  copy('sdk'),
  copy('web/dist'),
  copy('package.json'),
  copy('package-lock.json'),
  copy('node_modules'),
  copy('deploy/image/Dockerfile', 'Dockerfile'),
]);
// The lock file pins every package; pruning needs no registry.
execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: out, stdio: ['ignore', 'ignore', 'inherit'] });
// better-sqlite3 keeps its compiler output and the SQLite sources (30 MB); only the addon is loaded.
const sqlite = join(out, 'node_modules', 'better-sqlite3');
await Promise.all(['deps', 'src', 'build/Release/obj.target', 'build/Release/obj', 'build/Release/.deps', 'build/Release/sqlite3.a', 'build/Release/test_extension.node'].map((path) => rm(join(sqlite, path), { recursive: true, force: true })));

const size = execFileSync('du', ['-sh', out], { encoding: 'utf8' }).split('\t')[0];
process.stdout.write(`${basename(out)}: image context ready (${size}, ${Date.now() - started} ms)\n  docker build -t REGISTRY/berth:0.1.0 ${out}\n`);
await stat(join(out, 'Dockerfile'));
