import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMarker } from '../../runtime/index.ts';
import { lastLogLines, outputStart } from './log-lines.ts';

function tempLog(t: { after: (fn: () => void) => void }, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-log-lines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'service.log');
  writeFileSync(file, content);
  return file;
}

const marker = (service: string, pid: number): string => startMarker(service, new Date('2026-01-02T03:04:05.000Z'), pid);

describe('lastLogLines', () => {
  test('the last n lines, and only those after the last start marker when asked', async (t) => {
    const file = tempLog(t, ['old 1', 'old 2', marker('redis', 10), 'new 1', 'new 2', 'new 3', ''].join('\n'));
    assert.deepEqual(await lastLogLines(file, 2), ['new 2', 'new 3']);
    assert.deepEqual(await lastLogLines(file, 20, true), ['new 1', 'new 2', 'new 3']);
    assert.equal((await lastLogLines(file, 20)).length, 6);
  });

  test('a missing file has no lines; a start with no output yet has none either', async (t) => {
    assert.deepEqual(await lastLogLines('/nonexistent/berth/service.log', 20, true), []);
    const file = tempLog(t, `${marker('a', 1)}\n`);
    assert.deepEqual(await lastLogLines(file, 20, true), []);
  });

  test('reads across chunks of a large log and keeps UTF-8 intact', async (t) => {
    const filler = Array.from({ length: 5_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const file = tempLog(t, [...filler, marker('svc', 2), 'é ünïcode ✓', ...filler.slice(0, 3000), 'last'].join('\n'));
    const lines = await lastLogLines(file, 20, true);
    assert.equal(lines.length, 20);
    assert.equal(lines.at(-1), 'last');
    const all = await lastLogLines(file, 10_000, true);
    assert.equal(all[0], 'é ünïcode ✓');
    assert.equal(all.length, 3002);
  });
});

describe('outputStart', () => {
  test('is the byte offset just after the service\'s last marker', async (t) => {
    const head = `${marker('web', 1)}\nfirst run\n${marker('web', 2)}\n`;
    const file = tempLog(t, `${head}second run\n`);
    const offset = await outputStart(file, 'web');
    assert.equal(offset, Buffer.byteLength(head));
    assert.equal(readFileSync(file).subarray(offset).toString(), 'second run\n');
    assert.equal(await outputStart(file, 'other'), 0);
  });

  test('finds a marker far back in a large log', async (t) => {
    const head = `ünï ${'y'.repeat(100)}\n${marker('web', 3)}\n`;
    const file = tempLog(t, `${head}${'z'.repeat(99)}\n${'after\n'.repeat(30_000)}`);
    assert.equal(await outputStart(file, 'web'), Buffer.byteLength(head));
  });
});
