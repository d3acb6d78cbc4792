// The local runtime's service wrapper is a shell (issue 18, point 3): BASH_ENV or ENV in a service's
// env must not make it run a file before the service. Validation refuses the names in pipeline files
// (pipeline-files.test.ts); inherited values are dropped by serviceEnv, checked here with real bash.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServicePlan } from '../../src/plan/types.ts';
import { serviceEnv } from '../../src/runtime/local/env.ts';
import { bindsOf, linkBinds } from '../../src/runtime/local/binds.ts';
import { umaskWrapper } from '../../src/runtime/local/command.ts';
import { commandRequirement, skipUnless } from '../support/requirements.ts';
import { tempDir } from '../support/berth.ts';

async function runWrapper(env: Record<string, string>, cwd: string): Promise<void> {
  const wrapper = umaskWrapper(['true']);
  const child = spawn(wrapper.file, wrapper.args, { cwd, env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end('go\n');
  await once(child, 'exit');
}

describe('local service wrapper', skipUnless(commandRequirement('bash', 'apt-get install bash')), () => {
  test('BASH_ENV, ENV, SHELLOPTS and BASHOPTS from the plan never reach the wrapper shell', async (t) => {
    const dir = await tempDir(t);
    const marker = join(dir, 'ran-before-the-service');
    const hook = join(dir, 'hook.sh');
    await writeFile(hook, `touch ${marker}\n`);
    const plan = {
      env: [
        { name: 'BASH_ENV', value: hook },
        { name: 'ENV', value: hook },
        { name: 'SHELLOPTS', value: 'xtrace' },
        { name: 'BASHOPTS', value: 'extglob' },
        { name: 'KEPT', value: '1' },
      ],
    } as unknown as ServicePlan;
    const env = serviceEnv(plan, (text) => text);
    assert.equal(env.KEPT, '1');
    for (const name of ['BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS']) assert.equal(env[name], undefined, name);
    await runWrapper(env, dir);
    assert.equal(existsSync(marker), false, 'the hook ran before the service');
    // The control: the same wrapper with BASH_ENV left in does run the hook, so the check above can fail.
    await runWrapper({ ...env, BASH_ENV: hook }, dir);
    assert.equal(existsSync(marker), true);
  });

  test('bind targets are normalised and ".." is refused, so no symlink lands outside the service directory', async (t) => {
    const dir = await tempDir(t);
    const scratch = join(dir, 'scratch');
    assert.throws(() => bindsOf([{ source: 'data', hostPath: dir, target: '/../../../../outside' }]), { code: 'BERTH_RUNTIME_BIND_TARGET_INVALID' });
    const binds = bindsOf([{ source: 'data', hostPath: dir, target: '//data/./x/' }]);
    assert.deepEqual(binds.map((b) => b.target), ['/data/x']);
    linkBinds(scratch, binds);
    assert.ok(lstatSync(join(scratch, 'data', 'x')).isSymbolicLink());
    assert.deepEqual(readdirSync(dir).sort(), ['scratch']);
  });
});
