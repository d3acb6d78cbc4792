/**
 * The isolation tests again as an unprivileged user (`nobody` through setpriv): there the runtime
 * makes each session's namespaces inside a user namespace (`unshare --user --map-root-user`) and
 * joins them with `nsenter --user --preserve-credentials`, a path root never takes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync } from 'node:fs';
import { tempDir } from './support/berth.ts';
import { commandRequirement, skipUnless, type Requirement } from './support/requirements.ts';

const NOBODY = 65534;
const root: Requirement = {
  ok: process.getuid?.() === 0,
  what: 'root, to drop to nobody (run as another user, test/local-isolation.test.ts itself is the unprivileged run)',
  fix: 'run the tests as root, as CI does',
};
const setpriv = commandRequirement('setpriv', 'apt-get install util-linux');

test('the isolation tests pass as nobody (unprivileged user namespaces)', skipUnless(root, setpriv), async (t) => {
  const home = await tempDir(t, 'berth-nobody-');
  chownSync(home, NOBODY, NOBODY);
  const child = spawn(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', 'test/local-isolation.test.ts'],
    // A clean env: nothing of root's (its PATH points into /root, which nobody cannot read).
    { env: { HOME: home, TMPDIR: home, PATH: '/usr/local/bin:/usr/bin:/bin', BERTH_TEST: '1', ...(process.env.CI ? { CI: process.env.CI } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  t.after(() => {
    child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /^# pass [1-9]\d*$/m, output);
  assert.match(output, /^# fail 0$/m);
  assert.match(output, /^# skipped 0$/m, 'nothing skipped as nobody: namespaces, redis and python3 are all there');
});
