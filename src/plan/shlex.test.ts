/** `args` splitting (orchest-compatibility.md: Service objects and argv: k8s `args` = `shlex.split(args)`). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { shellSplit } from './shlex.ts';
import { commandRequirement, skipUnless } from '../../test/support/requirements.ts';

function words(text: string): string[] {
  const result = shellSplit(text);
  assert.ok(result.ok, `expected ${JSON.stringify(text)} to split`);
  return result.words;
}

describe('shellSplit: like Python shlex.split (POSIX mode)', () => {
  test("the templates' `-c '…'` args become two words", () => {
    assert.deepEqual(words("-c 'umask 002 && tensorboard --logdir /data --host 0.0.0.0'"), ['-c', 'umask 002 && tensorboard --logdir /data --host 0.0.0.0']);
    assert.deepEqual(words("-c 'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py'"), [
      '-c',
      'umask 002 && touch /usr/src/app/src/streamlit.py && streamlit run src/streamlit.py',
    ]);
  });

  test('quotes, escapes and no expansion', () => {
    assert.deepEqual(words('a  b\tc\nd'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(words(`"say \\"hi\\"" 'it''s' a\\ b`), ['say "hi"', 'its', 'a b']);
    assert.deepEqual(words(String.raw`"keep \n and \$HOME" $HOME ~ *.py`), [String.raw`keep \n and \$HOME`, '$HOME', '~', '*.py']);
    assert.deepEqual(words(`'' "" x`), ['', '', 'x']);
    assert.deepEqual(words(`pre'in side'post`), ['prein sidepost']);
    assert.deepEqual(words('# not a comment'), ['#', 'not', 'a', 'comment']);
    assert.deepEqual(words('   '), []);
  });

  test('unclosed quotes and a trailing backslash report the 1-based column', () => {
    assert.deepEqual(shellSplit("-c 'umask 002"), { ok: false, problem: 'unclosed-quote', quote: "'", column: 4 });
    assert.deepEqual(shellSplit('x "a \\"'), { ok: false, problem: 'unclosed-quote', quote: '"', column: 3 });
    assert.deepEqual(shellSplit('ab\\'), { ok: false, problem: 'trailing-escape', column: 3 });
  });

  const python = commandRequirement('python3', 'install Python 3 (Debian: apt-get install python3)');
  test('agrees with Python shlex.split on a corpus', skipUnless(python), () => {
    const corpus = [
      "-c 'umask 002 && code-server --auth none --bind-addr 0.0.0.0:8080 /home/coder/code-server'",
      String.raw`a\\b "c\\d" 'e\\f' "g\h" i\"j "k'l" 'm"n'`,
      'server --port=8000 --root "/x y/z" --flag',
      String.raw`"\\\"" '\' \' x"y"z`,
      '  leading and trailing  ',
      "mixed'quote'\"styles\"here",
      'tabs\tand\r\nnewlines',
      String.raw`\a\b\ \c`,
      'unicode ünïcödé "ä ö"',
    ];
    const script = 'import json,shlex,sys\nprint(json.dumps([shlex.split(s) for s in json.load(sys.stdin)]))';
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(corpus), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const expected = JSON.parse(run.stdout) as string[][];
    corpus.forEach((text, i) => assert.deepEqual(words(text), expected[i], `splitting ${JSON.stringify(text)}`));
  });
});
