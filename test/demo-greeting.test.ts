/**
 * The demo's Prepare step reads the pipeline parameter `greeting` through the SDK, as Orchest's
 * steps do, so a job's `--param greeting=…` reaches the report (it used to read an env var and
 * ignore the parameter). Runs the step file as Berth runs it: python3 with sdk/python on PYTHONPATH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './support/berth.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';

const ROOT = new URL('..', import.meta.url).pathname;

test('the demo reports the greeting parameter of the pipeline file it runs with', skipUnless(commandRequirement('python3', 'apt-get install python3')), async (t) => {
  const dir = await tempDir(t, 'berth-demo-greeting-');
  await cp(join(ROOT, 'examples', 'demo'), dir, { recursive: true });
  const file = join(dir, 'demo.orchest');
  const spec = JSON.parse(await readFile(file, 'utf8')) as { parameters: Record<string, unknown> };
  assert.equal(spec.parameters.greeting, 'hello', 'the demo declares the parameter');
  // What a job with --param greeting=hola runs: its copy of the file with the value applied.
  spec.parameters.greeting = 'hola';
  await writeFile(file, `${JSON.stringify(spec, null, 4)}\n`);

  const env = { PATH: process.env.PATH ?? '', PYTHONPATH: join(ROOT, 'sdk', 'python'), ORCHEST_PIPELINE_PATH: file, ORCHEST_PROJECT_DIR: dir };
  const prepare = spawnSync('python3', [join('steps', 'prepare.py')], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(prepare.status, 0, prepare.stderr);
  const report = spawnSync(process.execPath, [join('steps', 'report.js')], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /^hola: 6 readings, mean /);
});
