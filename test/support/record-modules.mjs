// `node --import ./test/support/record-modules.mjs …`: appends to the file named by
// BERTH_RECORD_MODULES, one per line, the URL of every module the program imports (ESM resolution:
// Berth's own modules and the packages they import) and, at exit, Node's internal modules as
// `node-internal:<id>` (e.g. node-internal:internal/deps/undici/undici once the global fetch ran).
// Tests use it to prove what a process does not load.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const file = process.env.BERTH_RECORD_MODULES;
if (file) {
  register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { file } });
  process.once('exit', function recordInternals() {
    const internals = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => `node-internal:${entry.slice('NativeModule '.length)}`);
    appendFileSync(file, `${internals.join('\n')}\n`);
  });
}
