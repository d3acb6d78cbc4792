import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unifiedDiff } from './diff.ts';

describe('unifiedDiff', () => {
  test('equal texts give no diff', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'f'), '');
  });

  test('a change shows as one hunk with context', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
    assert.equal(unifiedDiff(before, after, 'x.orchest', 1), '--- a/x.orchest\n+++ b/x.orchest\n@@ -4,3 +4,3 @@\n 4\n-5\n+five\n 6\n');
  });

  test('distant changes give separate hunks', () => {
    const before = Array.from({ length: 20 }, (_, i) => String(i)).join('\n');
    const after = before.replace(/^1$/m, 'one').replace(/^18$/m, 'eighteen');
    assert.equal(unifiedDiff(before, after, 'f').match(/^@@/gm)?.length, 2);
  });
});
