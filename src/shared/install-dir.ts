/**
 * Where Berth is installed: the directory holding package.json, bin/, src/, dist/, schema/,
 * examples/, sdk/ and web/dist. Files shipped beside the code are found from here, never from a
 * module's own `import.meta.url`: the same module runs from src/ (through tsx) and bundled into a
 * chunk of dist/ (docs/architecture.md, "CLI speed"), at different depths of the tree.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from './errors.ts';

/** The nearest ancestor of `start` that has Berth's package.json and bin/berth.mjs. */
export function findInstallDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'berth.mjs'))) return dir;
    if (dirname(dir) === dir) {
      throw new InternalError('BERTH_INSTALL_NOT_FOUND', { start });
    }
  }
}

let found: string | undefined;

/** A path inside Berth's installation, e.g. installPath('sdk', 'python'). */
export function installPath(...segments: string[]): string {
  found ??= findInstallDir(dirname(fileURLToPath(import.meta.url)));
  return join(found, ...segments);
}
