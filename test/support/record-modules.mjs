// `node --import ./test/support/record-modules.mjs …`: appends to the file named by
// BERTH_RECORD_MODULES, one per line, the URL of every module the program imports (ESM resolution:
// Berth's own modules and the packages they import) and, at exit, every CommonJS module required
// (require's cache, as file:// URLs: packages' internals, or a file required by path) and Node's
// internal modules as `node-internal:<id>` (e.g. node-internal:internal/deps/undici/undici once the
// global fetch ran). Tests use it to prove what a process does not load.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.BERTH_RECORD_MODULES;
if (file) {
  register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { file } });
  const requireCache = createRequire(import.meta.url).cache;
  process.once('exit', function recordRequiredAndInternals() {
    const required = Object.keys(requireCache).map((path) => pathToFileURL(path).href);
    const internals = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => `node-internal:${entry.slice('NativeModule '.length)}`);
    appendFileSync(file, `${[...required, ...internals].join('\n')}\n`);
  });
}
