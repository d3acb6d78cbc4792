/**
 * Decoders for the two streaming formats of the Engine API: the multiplexed stdout/stderr stream
 * of logs/attach/exec (8-byte frame headers when the container has no TTY) and the JSON-lines
 * progress of pull and build.
 */
import { createLineSplitter } from '../lines.ts';

export { createLineSplitter };
export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

const STREAMS: Record<number, StreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/**
 * Incremental demuxer: feed it chunks as they arrive (frames may be split across chunks or several
 * may share one) and it calls `onFrame` for each complete frame.
 */
export function createDemuxer(onFrame: (frame: Frame) => void): { push(chunk: Buffer): void; end(): void } {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer): void {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const type = pending[0] ?? 1;
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        onFrame({ stream: STREAMS[type] ?? 'stdout', payload: pending.subarray(8, 8 + size) });
        pending = pending.subarray(8 + size);
      }
    },
    end(): void {
      // A truncated frame at the end carries no complete header+payload: nothing more to emit.
      pending = Buffer.alloc(0);
    },
  };
}

/** Demuxes a whole buffer (exec output) into stdout+stderr text in arrival order. */
export function demuxAll(buffer: Buffer): { output: string; stdout: string; stderr: string } {
  const all: Buffer[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const demuxer = createDemuxer((frame) => {
    all.push(frame.payload);
    (frame.stream === 'stderr' ? err : out).push(frame.payload);
  });
  demuxer.push(buffer);
  return { output: Buffer.concat(all).toString('utf8'), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** One message of pull/build progress (`{"status":…}`, `{"stream":…}`, `{"error":…}`, `{"aux":…}`). */
export interface ProgressMessage {
  status?: string;
  progress?: string;
  id?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
  message?: string;
}

/** Reads a JSON-lines progress stream to its end, calling `onMessage` for each parsed message. */
export async function readProgress(stream: AsyncIterable<Buffer | string>, onMessage: (message: ProgressMessage) => void): Promise<void> {
  const splitter = createLineSplitter((line) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    try {
      onMessage(JSON.parse(trimmed) as ProgressMessage);
    } catch {
      onMessage({ stream: `${trimmed}\n` });
    }
  });
  for await (const chunk of stream) splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  splitter.flush();
}
