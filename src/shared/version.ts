/** Berth's version: the one in its installation's package.json, which `berth --version` also prints. */
import { readFileSync } from 'node:fs';
import { installPath } from './install-dir.ts';

let version: string | undefined;

export function berthVersion(): string {
  version ??= (JSON.parse(readFileSync(installPath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
