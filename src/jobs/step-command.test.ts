import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultNotebookPython, NOTEBOOK_RUNNER_FILE, stepCommand } from './step-command.ts';
import { PYTHON_SDK_DIR } from './step-env.ts';

test('R files run with Rscript, whatever the case of their extension', () => {
  assert.deepEqual(stepCommand('analysis/model.R'), ['Rscript', 'analysis/model.R']);
  assert.deepEqual(stepCommand('model.r'), ['Rscript', 'model.r']);
});

test("notebooks run through Berth's notebook runner, shipped beside the Python SDK, with Debian's python on the host", () => {
  const runner = join(PYTHON_SDK_DIR, NOTEBOOK_RUNNER_FILE);
  assert.ok(existsSync(runner), `${runner} is shipped`);
  assert.deepEqual(stepCommand('nb/a.ipynb'), [defaultNotebookPython(), runner, 'nb/a.ipynb', '--where', 'the host']);
  assert.deepEqual(stepCommand('a.ipynb', { notebookOutputDir: '/runs/r1/notebooks' }), [defaultNotebookPython(), runner, 'a.ipynb', '--output-dir', '/runs/r1/notebooks', '--where', 'the host']);
  assert.deepEqual(
    stepCommand('a.ipynb', { notebookPython: 'python3', notebookRunner: '/berth/sdk/python/runner.py', notebookWhere: 'the image img:1' }),
    ['python3', '/berth/sdk/python/runner.py', 'a.ipynb', '--where', 'the image img:1'],
  );
});
