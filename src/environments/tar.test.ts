import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTar } from './tar.ts';

test('GNU tar extracts files, directories, symlinks and long paths written by createTar', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const longDir = `${'d'.repeat(120)}/${'e'.repeat(60)}`;
  const veryLong = `${'x'.repeat(200)}/${'y'.repeat(150)}.txt`;
  const archive = createTar([
    { type: 'directory', path: 'project' },
    { type: 'file', path: 'project/hello.txt', content: Buffer.from('hello\n') },
    { type: 'file', path: 'project/run.sh', content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { type: 'file', path: 'project/empty', content: Buffer.alloc(0) },
    { type: 'file', path: 'project/block.bin', content: Buffer.alloc(512, 7) },
    { type: 'symlink', path: 'project/link', target: 'hello.txt' },
    { type: 'file', path: `project/${longDir}/f.txt`, content: Buffer.from('split at a slash\n') },
    { type: 'file', path: `project/${veryLong}`, content: Buffer.from('pax path\n') },
  ]);
  assert.equal(archive.length % 512, 0);
  writeFileSync(join(dir, 'a.tar'), archive);
  const extract = spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
  assert.equal(extract.status, 0, extract.stderr);
  assert.equal(readFileSync(join(dir, 'project/hello.txt'), 'utf8'), 'hello\n');
  assert.equal(statSync(join(dir, 'project/run.sh')).mode & 0o777, 0o755);
  assert.equal(readFileSync(join(dir, 'project/empty'), 'utf8'), '');
  assert.deepEqual(readFileSync(join(dir, 'project/block.bin')), Buffer.alloc(512, 7));
  assert.equal(readlinkSync(join(dir, 'project/link')), 'hello.txt');
  assert.equal(readFileSync(join(dir, 'project', longDir, 'f.txt'), 'utf8'), 'split at a slash\n');
  assert.equal(readFileSync(join(dir, 'project', veryLong), 'utf8'), 'pax path\n');
  const listing = spawnSync('tar', ['-tvf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
  assert.equal(listing.status, 0);
  assert.doesNotMatch(listing.stderr, /checksum|error/i);
});
