/**
 * `<data-dir>/server.json`: where a running `berth serve` listens, so the CLI on the same machine
 * finds it on any port without --url or BERTH_URL. Written atomically once the server listens,
 * removed at a clean exit; a file whose pid is gone (the server was killed) is ignored.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';

export const SERVER_INFO_FILE = 'server.json';

export interface ServerInfo {
  url: string;
  pid: number;
  port: number;
  /** ISO time the server started listening. */
  started: string;
}

export function serverInfoPath(dataDir: string): string {
  return join(dataDir, SERVER_INFO_FILE);
}

/** Temp file beside the target, then rename: a reader never sees half a file. */
export function writeServerInfo(dataDir: string, info: ServerInfo): string {
  const path = serverInfoPath(dataDir);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new CliError('BERTH_CLI_SERVER_INFO', { path, reason: (cause as Error).message }, { cause });
  }
  return path;
}

/** Removes the file only when it is this process's: a second server on the same data dir keeps its own. */
export function removeServerInfo(dataDir: string, pid = process.pid): void {
  if (readServerInfoFile(dataDir)?.pid === pid) rmSync(serverInfoPath(dataDir), { force: true });
}

/** The running server recorded in `dataDir`, or undefined (no file, unreadable, or its process is gone). */
export function findRunningServer(dataDir: string): ServerInfo | undefined {
  const info = readServerInfoFile(dataDir);
  return info && processAlive(info.pid) ? info : undefined;
}

function readServerInfoFile(dataDir: string): ServerInfo | undefined {
  try {
    const data = JSON.parse(readFileSync(serverInfoPath(dataDir), 'utf8')) as Partial<ServerInfo>;
    if (typeof data.url !== 'string' || typeof data.pid !== 'number' || !Number.isInteger(data.pid)) return undefined;
    return data as ServerInfo;
  } catch {
    // Missing, or another user's: no server to find there, the caller falls back to its default.
    return undefined;
  }
}

/** Signal 0 checks the process exists; EPERM means it does but belongs to another user. */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
