import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineSpec } from '../spec/types.ts';
import { applyParameters, parseEnvAssignments, parseParameterAssignments } from './parameters.ts';

const spec: PipelineSpec = {
  uuid: 'p',
  name: 'params',
  version: '1.2.3',
  parameters: { greeting: 'hello', 'a.b': 1 },
  steps: {
    s1: { uuid: 's1', title: 'Load data', file_path: 'load.py', incoming_connections: [], environment: '', parameters: { rows: 10 } },
    s2: { uuid: 's2', title: 'Load data.v2', file_path: 'v2.py', incoming_connections: [], environment: '', parameters: { rows: 5 } },
  },
};

test('pipeline and step parameters, by title (longest wins) or uuid, values as JSON or text', () => {
  const parsed = parseParameterAssignments(['greeting=hi there', 'Load data.rows=20', 'Load data.v2.rows=[1,2]', 's1.rows="30"', 'a.b=2'], spec);
  assert.deepEqual(parsed, { pipeline: { greeting: 'hi there', 'a.b': 2 }, steps: { s1: { rows: '30' }, s2: { rows: [1, 2] } } });
  const applied = applyParameters(spec, parsed);
  assert.deepEqual(applied.parameters, { greeting: 'hi there', 'a.b': 2 });
  assert.deepEqual(applied.steps.s1!.parameters, { rows: '30' });
  assert.deepEqual(spec.steps.s1!.parameters, { rows: 10 }, 'the snapshot is not mutated');
});

test('unknown names and malformed assignments say what exists', () => {
  assert.throws(() => parseParameterAssignments(['nope=1'], spec), (e: Error & { hint?: string; code?: string }) => {
    assert.equal(e.code, 'BERTH_JOB_PARAM_INVALID_NAME');
    assert.equal(e.message, 'pipeline "params" has no parameter "nope"');
    assert.match(e.hint ?? '', /pipeline parameters: greeting, a\.b/);
    return true;
  });
  assert.throws(() => parseParameterAssignments(['Load data.cols=1'], spec), /step "Load data" has no parameter "cols"/);
  assert.throws(() => parseParameterAssignments(['novalue'], spec), /parameter "novalue" is not KEY=VALUE/);
  assert.deepEqual(parseEnvAssignments(['A=1', 'B=x=y']), { A: '1', B: 'x=y' });
  assert.throws(() => parseEnvAssignments(['BAD NAME=1']), /env assignment "BAD NAME" is not NAME=VALUE/);
});
