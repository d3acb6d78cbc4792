/**
 * Builds the UI into web/dist, which `berth serve` serves from the API's origin (src/server/ui.ts).
 * `npm run dev:web` serves it with hot reload and forwards API and service paths to a running
 * `berth serve` on BERTH_URL (default http://127.0.0.1:8765).
 */
import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;
// Typed by hand: this tsconfig carries browser types only.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const berth = env.BERTH_URL ?? 'http://127.0.0.1:8765';

export default defineConfig({
  root,
  base: '/',
  // React 19's automatic runtime through esbuild: no Babel plugin needed for a build this small.
  esbuild: { jsx: 'automatic' },
  // The editor validates with the spec layer's own validator (same zod schema, same messages as the
  // server); its only Node import is node:crypto's randomUUID, which Web Crypto also has.
  // src/shared's index also exports installPath (node:fs, node:path): the bundle needs only its errors.
  resolve: {
    alias: [
      { find: 'node:crypto', replacement: new URL('./src/shims/node-crypto.ts', import.meta.url).pathname },
      { find: /^(\.\.\/)+shared\/index\.ts$/, replacement: new URL('../src/shared/errors.ts', import.meta.url).pathname },
    ],
  },
  build: {
    outDir: `${root}dist`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's comments confuse Rollup's annotation parser; harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    // The bundle imports a few pure modules from ../src (naming, field paths).
    fs: { allow: [new URL('..', import.meta.url).pathname] },
    proxy: { '/api': berth, '^/(pbp-)?service-': { target: berth, ws: true } },
  },
});
