/**
 * Follows a container's log stream (stdout+stderr, with engine timestamps) into the service's log
 * file. The file gets the lines as the service printed them; the engine timestamp of the last line
 * written (and how many lines carried exactly that timestamp) is kept in `<logFile>.cursor`, so a
 * follower started after a Berth restart asks the engine for lines `since` then and skips the ones
 * already written: no duplicates, no loss. (A crash between appending a chunk and updating the
 * cursor can repeat that one chunk.)
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DockerClient } from './client.ts';
import { readLogCursor, writeLogCursor } from '../log-cursor.ts';
import { createDemuxer, createLineSplitter } from './streams.ts';

export interface LogCursor {
  /** RFC 3339 timestamp (nanoseconds) of the last line written. */
  timestamp: string;
  /** Lines written with exactly that timestamp. */
  count: number;
}

export interface LogFollower {
  /** Resolves when the stream ended (container gone/stopped) or the follower was stopped. */
  done: Promise<void>;
  stop(): void;
}

export function readCursor(logFile: string): LogCursor | undefined {
  return readLogCursor<LogCursor>(logFile, (c) => typeof c.timestamp === 'string' && typeof c.count === 'number');
}


/** `2026-11-28T23:10:27.123456789Z` -> seconds.nanoseconds string the `since` parameter accepts. */
export function sinceParameter(timestamp: string): string {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return '0';
  const seconds = Math.floor(Date.parse(`${match[1]}${match[3]}`) / 1000);
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return `${seconds}.${fraction}`;
}

/** Compares RFC 3339 UTC timestamps with nanoseconds (string order fails for differing fraction lengths). */
export function compareTimestamps(a: string, b: string): number {
  const [sa, fa] = splitFraction(a);
  const [sb, fb] = splitFraction(b);
  const byDate = Date.parse(sa) - Date.parse(sb);
  if (byDate !== 0) return Math.sign(byDate);
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

function splitFraction(timestamp: string): [string, string] {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return [timestamp, ''];
  return [`${match[1]}${match[3]}`, (match[2] ?? '').padEnd(9, '0')];
}

export function followLogs(client: DockerClient, containerId: string, logFile: string): LogFollower {
  const controller = new AbortController();
  const cursor = readCursor(logFile);
  const done = (async () => {
    mkdirSync(dirname(logFile), { recursive: true });
    const query: Record<string, string | number> = { follow: 1, stdout: 1, stderr: 1, timestamps: 1 };
    if (cursor) query.since = sinceParameter(cursor.timestamp);
    let stream;
    try {
      stream = await client.stream('GET', `/containers/${containerId}/logs`, { query, signal: controller.signal });
    } catch {
      return; // the container is gone: nothing to follow
    }
    let last = cursor;
    let skipAtLast = cursor?.count ?? 0;
    const writeLine = (raw: string): void => {
      const space = raw.indexOf(' ');
      const timestamp = space > 0 ? raw.slice(0, space) : '';
      const text = space > 0 ? raw.slice(space + 1) : raw;
      if (cursor && timestamp) {
        const order = compareTimestamps(timestamp, cursor.timestamp);
        if (order < 0) return;
        if (order === 0 && skipAtLast > 0) {
          skipAtLast -= 1;
          return;
        }
      }
      batch.push(`${text}\n`);
      if (!timestamp) return;
      last = last && last.timestamp === timestamp ? { timestamp, count: last.count + 1 } : { timestamp, count: 1 };
    };
    // One append and one cursor update per chunk from the engine, not per line.
    let batch: string[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      appendFileSync(logFile, batch.join(''));
      batch = [];
      if (last) writeLogCursor(logFile, last);
    };
    // Each stream (stdout/stderr) has its own partial line.
    const splitters = { stdout: createLineSplitter(writeLine), stderr: createLineSplitter(writeLine), stdin: createLineSplitter(writeLine) };
    const demuxer = createDemuxer((frame) => splitters[frame.stream].push(frame.payload.toString('utf8')));
    try {
      for await (const chunk of stream) {
        demuxer.push(chunk as Buffer);
        flush();
      }
    } catch {
      // aborted by stop() or the engine went away: what arrived is written
    }
    for (const splitter of Object.values(splitters)) splitter.flush();
    flush();
  })();
  return {
    done,
    stop(): void {
      controller.abort();
    },
  };
}
