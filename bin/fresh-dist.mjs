// Whether dist/ (scripts/build.mjs) may run: dist/build.json exists and none of the source files it
// lists changed since the build started. Plain JavaScript: bin/berth.mjs reads it before any loader.
import { readFileSync, statSync } from 'node:fs';

/** @param {URL} root the installation directory, ending in "/" @returns {{ builtAt: number, entry: string, inputs: string[] } | undefined} */
export function freshDist(root) {
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
