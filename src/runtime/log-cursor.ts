/**
 * Runtimes that ship logs from an engine or a cluster into the service's log file keep a small
 * cursor beside it (`<logFile>.cursor`): where the last written line came from, so a follower
 * started after a Berth restart resumes without duplicates or loss. Written atomically.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startMarker } from './log-marker.ts';

export function logCursorFile(logFile: string): string {
  return `${logFile}.cursor`;
}

/** The stored cursor when it exists and has the expected shape. */
export function readLogCursor<T>(logFile: string, isCursor: (value: Partial<T>) => boolean): T | undefined {
  try {
    const parsed = JSON.parse(readFileSync(logCursorFile(logFile), 'utf8')) as Partial<T>;
    return isCursor(parsed) ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}

export function writeLogCursor(logFile: string, cursor: unknown): void {
  const file = logCursorFile(logFile);
  writeFileSync(`${file}.tmp`, JSON.stringify(cursor));
  renameSync(`${file}.tmp`, file);
}

/** Appends the runtimes' shared start marker, so readers know where each start of the service begins. */
export function appendStartMarker(logFile: string, service: string): void {
  mkdirSync(dirname(logFile), { recursive: true });
  appendFileSync(logFile, `${startMarker(service, new Date())}\n`);
}
