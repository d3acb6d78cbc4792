/**
 * Reading service log files: the last lines, or everything and then whatever gets appended
 * (`berth logs -f`). Log files are append-only while a session lives, so following is reading
 * from the last offset whenever the file grows.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export async function readTail(file: string, lines?: number): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  if (lines === undefined || !Number.isFinite(lines)) return text;
  const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return all.slice(-Math.max(0, lines)).join('\n') + (all.length && lines > 0 ? '\n' : '');
}

export interface FollowOptions {
  tail?: number | undefined;
  signal: AbortSignal;
  /** Polled between reads: true ends the stream after a last read. */
  ended: () => boolean;
  write: (chunk: string) => void;
  intervalMs?: number;
}

export async function followFile(file: string, options: FollowOptions): Promise<void> {
  const initial = await readTail(file, options.tail);
  options.write(initial);
  let offset = await size(file);
  while (!options.signal.aborted) {
    const finished = options.ended();
    const current = await size(file);
    if (current < offset) offset = 0; // the file was replaced: start over
    if (current > offset) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(current - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        options.write(buffer.toString('utf8'));
        offset = current;
      } finally {
        await handle.close();
      }
    }
    if (finished) return;
    await sleep(options.intervalMs ?? 200, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

async function size(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
