import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPipelineFiles } from './find.ts';

describe('findPipelineFiles', () => {
  test('finds every .orchest file, skipping .orchest/, node_modules and .git', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-find-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    for (const sub of ['pipelines/deep', '.orchest/pipelines', 'node_modules/pkg', '.git/x']) await mkdir(join(dir, sub), { recursive: true });
    for (const file of ['main.orchest', 'pipelines/a.orchest', 'pipelines/deep/b.orchest', 'notes.orchest.txt', '.orchest/pipelines/c.orchest', 'node_modules/pkg/d.orchest', '.git/x/e.orchest']) {
      await writeFile(join(dir, file), '{}');
    }
    assert.deepEqual(await findPipelineFiles(dir), ['main.orchest', 'pipelines/a.orchest', 'pipelines/deep/b.orchest']);
  });
});
