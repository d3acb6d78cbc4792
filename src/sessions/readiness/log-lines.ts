/**
 * Reading a service's log file after its last start marker, from the end backwards so a log kept
 * across many restarts is never read whole.
 */
import { open } from 'node:fs/promises';
import { isStartMarker } from '../../runtime/index.ts';

const CHUNK = 64 * 1024;

interface Tail {
  lines: string[];
  /** Byte offset just after the marker line (0 when there is none), or -1 when not needed. */
  markerEnd: number;
}

/**
 * Reads backwards until `n` complete lines are known or the last start marker is reached.
 * `service` limits markers to that service's; undefined matches any start marker.
 */
async function readTail(logFile: string, n: number, sinceMarker: boolean, service?: string): Promise<Tail> {
  let handle;
  try {
    handle = await open(logFile, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], markerEnd: 0 };
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    let position = size;
    let text = '';
    for (;;) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      // Decoding chunk by chunk could split a UTF-8 sequence; latin1 keeps bytes 1:1 until the end.
      text = buffer.toString('latin1') + text;
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      // The first line may be partial unless we are at the start of the file.
      const complete = position === 0 ? lines : lines.slice(1);
      if (sinceMarker) {
        const markerIndex = complete.findLastIndex((line) => isStartMarker(line, service));
        if (markerIndex >= 0) {
          const upTo = markerIndex + (position === 0 ? 0 : 1);
          const markerEnd = Math.min(size, position + lines.slice(0, upTo + 1).join('\n').length + 1);
          return { lines: decode(complete.slice(markerIndex + 1)), markerEnd };
        }
      }
      if (position === 0) return { lines: decode(complete), markerEnd: 0 };
      // Enough lines and no marker among them: where the marker is does not change the answer.
      if (n > 0 && complete.length >= n) return { lines: decode(complete), markerEnd: -1 };
    }
  } finally {
    await handle.close();
  }
}

function decode(lines: string[]): string[] {
  return lines.map((line) => Buffer.from(line, 'latin1').toString('utf8'));
}

/**
 * The last `n` lines of a log file; with `sinceMarker`, only lines after the last start marker
 * (this start's output, not an earlier run's). A missing file has no lines.
 */
export async function lastLogLines(logFile: string, n: number, sinceMarker = false): Promise<string[]> {
  const { lines } = await readTail(logFile, n, sinceMarker);
  return n <= 0 ? [] : lines.slice(-n);
}

/** Byte offset where this start's output begins: after the service's last start marker. */
export async function outputStart(logFile: string, service?: string): Promise<number> {
  return (await readTail(logFile, 0, true, service)).markerEnd;
}
