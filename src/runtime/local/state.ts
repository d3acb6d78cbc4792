/**
 * Instance state files, `<stateDir>/instances/<sid>/<service>.json`: what a new Berth process needs
 * to find, inspect and stop the process groups an earlier one started. Written atomically.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Bind } from './binds.ts';

export interface InstanceState {
  version: 1;
  sessionUuid: string;
  service: string;
  pid: number;
  pgid: number;
  /** /proc/<pid>/stat field 22 of the group leader: tells a reused pid apart. */
  procStartTime: number;
  /** ISO time of the start. */
  startedAt: string;
  labels: Record<string, string>;
  /** The service's argv after path rewriting (without the umask wrapper). */
  argv: string[];
  /** Declared ports (namespace mode refuses a second service of the session on one of them). */
  ports?: number[];
  binds: Bind[];
  cwd: string;
  scratchDir: string;
  logFile: string;
  /** Set when a Berth process saw the leader exit (its own child). */
  exit?: { exitCode: number | null; signal: string | null; at: string };
}

export function instancesDir(stateDir: string, sessionUuid?: string): string {
  return sessionUuid === undefined ? join(stateDir, 'instances') : join(stateDir, 'instances', sessionUuid);
}

export function stateFile(stateDir: string, sessionUuid: string, service: string): string {
  return join(instancesDir(stateDir, sessionUuid), `${service}.json`);
}

export function writeState(stateDir: string, state: InstanceState): void {
  const file = stateFile(stateDir, state.sessionUuid, state.service);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** undefined when missing or unreadable (a half-written file never exists: writes are renames). */
export function readState(stateDir: string, sessionUuid: string, service: string): InstanceState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(stateDir, sessionUuid, service), 'utf8')) as InstanceState;
    return parsed.version === 1 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function removeState(stateDir: string, sessionUuid: string, service: string): void {
  rmSync(stateFile(stateDir, sessionUuid, service), { force: true });
}

export function allStates(stateDir: string): InstanceState[] {
  const states: InstanceState[] = [];
  let sessions: string[];
  try {
    sessions = readdirSync(instancesDir(stateDir));
  } catch {
    return states;
  }
  for (const sessionUuid of sessions) {
    let files: string[];
    try {
      files = readdirSync(instancesDir(stateDir, sessionUuid));
    } catch {
      continue;
    }
    for (const file of files) {
      if (!file.endsWith('.json')) continue;
      const state = readState(stateDir, sessionUuid, file.slice(0, -'.json'.length));
      if (state) states.push(state);
    }
  }
  return states;
}
