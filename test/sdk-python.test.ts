/**
 * The Python SDK's own unittest suite (sdk/python/tests), run by `npm test`: it fails when they fail.
 * Standard library only, so any python3 works; Debian's is used when present (what notebook steps use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandRequirement, skipUnless } from './support/requirements.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const requirement = existsSync('/usr/bin/python3') ? { ok: true, what: 'python3', fix: '' } : commandRequirement('python3', 'apt-get install python3');

test('python SDK: unittest suite in sdk/python/tests passes', skipUnless(requirement), () => {
  const result = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'sdk/python/tests', '-v'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(result.error, undefined, `cannot run ${python}: ${String(result.error)}`);
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `the Python SDK tests failed:\n${output}`);
  assert.match(output, /Ran \d+ tests/);
  assert.match(output, /\nOK\b/);
});
