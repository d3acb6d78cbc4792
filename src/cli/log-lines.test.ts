import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { formatLogLine, humanLogDestination, usePrettyLogs } from './log-lines.ts';

const TIME = Date.parse('2026-01-01T12:03:04');

test('a record becomes time, level, message and its own fields, without pid and hostname', () => {
  const line = formatLogLine(JSON.stringify({ level: 40, time: TIME, pid: 1, hostname: 'h', msg: 'proxy authorization failed', url: '/service-x/', n: 2 }), { colors: false, stacks: false });
  assert.equal(line, '12:03:04 WARN  proxy authorization failed url=/service-x/ n=2\n');
});

test('an error shows its code and message; the stack only for errors with stacks on', () => {
  const record = JSON.stringify({ level: 50, time: TIME, msg: 'sign-in failed', err: { message: 'disk full', code: 'BERTH_X', stack: 'Error: disk full\n    at f (a.ts:1)' } });
  assert.equal(formatLogLine(record, { colors: false, stacks: false }), '12:03:04 ERROR sign-in failed [BERTH_X] disk full\n');
  assert.match(formatLogLine(record, { colors: false, stacks: true }), /disk full\nError: disk full\n {4}at f \(a\.ts:1\)\n$/);
  const warning = JSON.stringify({ level: 40, time: TIME, msg: 'x', err: { message: 'm', stack: 'Error: m\n    at g' } });
  assert.doesNotMatch(formatLogLine(warning, { colors: false, stacks: true }), /at g/);
});

test('colours the level on a terminal; text that is not JSON passes through', () => {
  assert.match(formatLogLine(JSON.stringify({ level: 50, time: TIME, msg: 'boom' }), { colors: true, stacks: false }), /\[31mERROR/);
  assert.equal(formatLogLine('plain text', { colors: false, stacks: false }), 'plain text\n');
});

test('pino writes through the destination as readable lines', () => {
  let written = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'info' }, humanLogDestination(out, false));
  logger.info({ session: 'abc' }, 'Berth is serving');
  assert.match(written, /^\d\d:\d\d:\d\d INFO {2}Berth is serving session=abc\n$/);
});

test('auto means readable lines on a terminal and JSON elsewhere', () => {
  assert.equal(usePrettyLogs('auto', { isTTY: true }), true);
  assert.equal(usePrettyLogs('auto', {}), false);
  assert.equal(usePrettyLogs('json', { isTTY: true }), false);
  assert.equal(usePrettyLogs('pretty', {}), true);
});
