/**
 * Splits `args` the way Orchest did (`shlex.split(args)`, Python's POSIX mode, orchest-compatibility.md: Service objects and argv):
 * whitespace separates words; single quotes keep everything literally; inside double quotes a
 * backslash escapes only `"` and `\` (it is kept before anything else); outside quotes a backslash
 * takes the next character literally. No expansion of any kind (`$`, `~`, globs) and no comments.
 */

export type SplitResult =
  | { ok: true; words: string[] }
  | { ok: false; problem: 'unclosed-quote'; quote: "'" | '"'; column: number }
  | { ok: false; problem: 'trailing-escape'; column: number };

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Columns are 1-based, as editors show them. */
export function shellSplit(text: string): SplitResult {
  const words: string[] = [];
  let word = '';
  // A word exists once anything (even an empty quoted string) has been read, so `''` yields ''.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (WHITESPACE.has(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) return { ok: false, problem: 'trailing-escape', column: i + 1 };
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      if (close === -1) return { ok: false, problem: 'unclosed-quote', quote: "'", column: i + 1 };
      word += text.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (ch === '"') {
      const opened = i;
      i += 1;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (c === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
        } else {
          word += c;
          i += 1;
        }
      }
      if (!closed) return { ok: false, problem: 'unclosed-quote', quote: '"', column: opened + 1 };
      inWord = true;
    } else {
      word += ch;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
