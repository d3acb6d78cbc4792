/**
 * Splits a byte stream into complete lines (without the newline, `\r\n` too): output arrives in
 * arbitrary pieces (engine frames, HTTP chunks), logs are kept as whole lines. `flush` emits the
 * unfinished rest.
 */
export function createLineSplitter(onLine: (line: string) => void): { push(text: string): void; flush(): void } {
  let rest = '';
  return {
    push(text: string): void {
      const parts = (rest + text).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
    },
    flush(): void {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
