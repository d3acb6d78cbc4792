#!/usr/bin/env node
// `npm start`'s first step for the web UI: build it when web/dist is missing, and say so first,
// since the build is silent for about a minute on a small machine. A built UI is left as it is
// (`npm run build:web` rebuilds it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}web/dist/index.html`)) {
  process.stderr.write('Building the web UI (first start, ~1 min)…\n');
  const started = Date.now();
  const vite = `${root}node_modules/vite/bin/vite.js`;
  const build = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    process.stderr.write('Building the web UI failed (see above); `npm run build:web` runs the same build.\n');
    process.exit(build.status ?? 1);
  }
  process.stderr.write(`Built the web UI in ${Math.round((Date.now() - started) / 1000)} s.\n`);
}
