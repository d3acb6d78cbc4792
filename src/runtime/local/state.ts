/**
 * Instance state files, `<stateDir>/instances/<sid>/<service>.json`: what a new Berth process needs
 * to find, inspect and stop the process groups an earlier one started. Written atomically.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
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
  writeFileSync(tempOf(file), stateText(state), { mode: 0o600 });
  renameSync(tempOf(file), file);
}

/** writeState off the event loop, for the start path: 1,000 starts held it a second in all with the synchronous one. */
async function writeStateAsync(stateDir: string, state: InstanceState): Promise<void> {
  const file = stateFile(stateDir, state.sessionUuid, state.service);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(tempOf(file), stateText(state), { mode: 0o600 });
  await rename(tempOf(file), file);
}

function tempOf(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

function stateText(state: InstanceState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
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

/** The session and service of every state file on disk, an earlier Berth's included. */
function* stateFileNames(stateDir: string): Generator<{ sessionUuid: string; service: string }> {
  let sessions: string[];
  try {
    sessions = readdirSync(instancesDir(stateDir));
  } catch {
    return;
  }
  for (const sessionUuid of sessions) {
    let files: string[];
    try {
      files = readdirSync(instancesDir(stateDir, sessionUuid));
    } catch {
      continue;
    }
    for (const file of files) if (file.endsWith('.json')) yield { sessionUuid, service: file.slice(0, -'.json'.length) };
  }
}

/**
 * One runtime's state files, with each one this process wrote or read kept in memory: the exit
 * watcher inspects every ready instance each second, and a 1,000-service session had it read and
 * parse 1,000 files a second on the event loop. Only this process writes them (the instance lock
 * keeps any other Berth off the data directory), so what is in memory is what is on disk; a file
 * not seen yet (an instance of an earlier Berth) is read once.
 */
export class StateFiles {
  readonly #dir: string;
  readonly #known = new Map<string, InstanceState>();

  constructor(stateDir: string) {
    this.#dir = stateDir;
  }

  /** `fresh`: from the disk, for a decision memory must not make alone (the process is gone: was it stopped?). */
  read(sessionUuid: string, service: string, options: { fresh?: boolean } = {}): InstanceState | undefined {
    const key = `${sessionUuid}/${service}`;
    const known = options.fresh ? undefined : this.#known.get(key);
    if (known) return known;
    this.#known.delete(key);
    const state = readState(this.#dir, sessionUuid, service);
    if (state) this.#known.set(key, state);
    return state;
  }

  write(state: InstanceState): void {
    writeState(this.#dir, state);
    this.#known.set(`${state.sessionUuid}/${state.service}`, state);
  }

  /** The state file of a new instance, written off the event loop (nothing else writes it yet). */
  async create(state: InstanceState): Promise<void> {
    await writeStateAsync(this.#dir, state);
    this.#known.set(`${state.sessionUuid}/${state.service}`, state);
  }

  /**
   * Off the event loop: 1,000 stops spent 0.18 s of it in the synchronous removal's lstat and unlink.
   * Forgotten once the file is gone, so that a read meanwhile cannot cache it again.
   */
  async remove(sessionUuid: string, service: string): Promise<void> {
    await rm(stateFile(this.#dir, sessionUuid, service), { force: true });
    this.#known.delete(`${sessionUuid}/${service}`);
  }

  removeSession(sessionUuid: string): void {
    for (const key of this.#known.keys()) if (key.startsWith(`${sessionUuid}/`)) this.#known.delete(key);
    rmSync(instancesDir(this.#dir, sessionUuid), { recursive: true, force: true });
  }

  /**
   * The instance of every state file on disk (recovery, listing): the files are listed from the disk,
   * which earlier processes wrote too, and each is read once (read()). An iterator: a caller going
   * through 1,000 of them may give the event loop turns in between.
   */
  *all(): Generator<InstanceState> {
    for (const { sessionUuid, service } of stateFileNames(this.#dir)) {
      const state = this.read(sessionUuid, service);
      if (state) yield state;
    }
  }
}
