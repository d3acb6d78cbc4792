import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNextPath } from './next-path.ts';

test('keeps same-origin paths with their query and fragment', () => {
  assert.equal(safeNextPath('/service-jupyter-abc_8888/lab?reset#x'), '/service-jupyter-abc_8888/lab?reset#x');
  assert.equal(safeNextPath('/'), '/');
});

test('refuses anything that could leave the origin', () => {
  for (const evil of ['//evil.com', 'https://evil.com', '/\\evil.com', '\\\\evil.com', '/\t/evil.com', '/\n/evil.com', 'evil.com', 'javascript:alert(1)', '', ' /x']) {
    assert.equal(safeNextPath(evil), '/', JSON.stringify(evil));
  }
  assert.equal(safeNextPath(42), '/');
  assert.equal(safeNextPath(undefined, '/ui'), '/ui');
});
