/**
 * One Berth per data directory. Two servers on one directory would share one SQLite file and one
 * installation id, so each would take the other's services for leftovers and delete them (locally
 * and on Kubernetes alike). `berth serve` takes this lock before it opens the database.
 *
 * The lock is a file (`<data-dir>/berth.lock`) created exclusively, holding the holder's pid, host
 * and start time; the holder touches it every HEARTBEAT_MS. A lock is stale when its holder is
 * gone: a dead pid on this host (or our own pid: a container restarted with the same pid 1), or,
 * from another host (a replaced pod has a new hostname), a heartbeat older than STALE_AFTER_MS.
 * A stale lock is taken over with a warning; a live one refuses the start with BERTH_STORE_LOCKED.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreError } from './db.ts';

export const LOCK_FILE = 'berth.lock';
const HEARTBEAT_MS = 10_000;
const STALE_AFTER_MS = 60_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder started. */
  started: string;
}

export interface InstanceLock {
  file: string;
  holder: LockHolder;
  /** Set when a stale lock was taken over: what to tell the operator. */
  warning?: string;
  /** Stops the heartbeat and removes the file if it is still ours. */
  release(): void;
}

export interface LockOptions {
  /** For tests: the host and pid this process claims (default: the real ones). */
  host?: string;
  pid?: number;
  now?: () => number;
  heartbeatMs?: number;
  staleAfterMs?: number;
}

export function acquireInstanceLock(dataDir: string, options: LockOptions = {}): InstanceLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  const holder: LockHolder = { pid: options.pid ?? process.pid, host: options.host ?? hostname(), started: new Date((options.now ?? Date.now)()).toISOString() };
  let warning: string | undefined;
  // A few rounds: a stale lock is moved aside, then our exclusive create is tried again (a racer may win it).
  for (let round = 0; round < 3; round += 1) {
    if (createExclusive(file, holder)) return held(file, holder, options, warning);
    const found = readHolder(file);
    if (!found) continue; // removed between our create and read: try again
    const stale = staleness(found.holder, found.mtimeMs, holder, options);
    if (!stale) throw lockedError(file, found.holder, found.mtimeMs, options);
    if (!moveAside(file, found.text)) continue;
    warning = `took over the lock ${file} of an earlier Berth (pid ${found.holder.pid} on ${found.holder.host}, started ${found.holder.started}): ${stale}`;
  }
  const last = readHolder(file);
  throw lockedError(file, last?.holder ?? { pid: 0, host: '?', started: '?' }, last?.mtimeMs ?? 0, options);
}

function createExclusive(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreError('BERTH_STORE_LOCK_FAILED', { file, reason: (cause as Error).message }, { cause });
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(file: string): { holder: LockHolder; text: string; mtimeMs: number } | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    text = readFileSync(file, 'utf8');
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { holder: { pid: parsed.pid, host: parsed.host, started: String(parsed.started ?? '?') }, text, mtimeMs };
    }
  } catch {
    // A holder killed while writing leaves a torn file: judged by its age alone, below.
  }
  return { holder: { pid: 0, host: '?', started: '?' }, text, mtimeMs };
}

/** Why the lock is stale, or undefined while its holder may be alive. */
function staleness(found: LockHolder, mtimeMs: number, self: LockHolder, options: LockOptions): string | undefined {
  if (found.host === self.host && found.pid > 0) {
    if (found.pid === self.pid) return 'that pid is this process now (a restarted container)';
    return pidAlive(found.pid) ? undefined : `process ${found.pid} no longer runs`;
  }
  const age = (options.now ?? Date.now)() - mtimeMs;
  const limit = options.staleAfterMs ?? STALE_AFTER_MS;
  return age > limit ? `its heartbeat stopped ${Math.round(age / 1000)} s ago (a replaced pod or another machine)` : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale file aside (an atomic rename), then checks that what moved is what was judged:
 * a racer may have taken the lock meanwhile, and its file then goes back.
 */
function moveAside(file: string, judged: string): boolean {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(file, aside);
  } catch {
    return false;
  }
  let moved: string;
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    return false;
  }
  if (moved !== judged) {
    try {
      renameSync(aside, file);
    } catch {
      // Both gone is fine: the next round decides again.
    }
    return false;
  }
  unlinkSync(aside);
  return true;
}

function lockedError(file: string, holder: LockHolder, mtimeMs: number, options: LockOptions): StoreError {
  const alive = mtimeMs ? { aliveSeconds: Math.max(0, Math.round(((options.now ?? Date.now)() - mtimeMs) / 1000)) } : {};
  return new StoreError('BERTH_STORE_LOCKED', { file, pid: holder.pid, host: holder.host, started: holder.started, ...alive }, { details: { file, holder } });
}

function held(file: string, holder: LockHolder, options: LockOptions, warning: string | undefined): InstanceLock {
  const beat = setInterval(function lockHeartbeat() {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // The file vanished (deleted by hand): the next start will judge again; nothing to do here.
    }
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  beat.unref();
  const mine = `${JSON.stringify(holder)}\n`;
  let released = false;
  return {
    file,
    holder,
    ...(warning ? { warning } : {}),
    release: function releaseInstanceLock() {
      if (released) return;
      released = true;
      clearInterval(beat);
      try {
        if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
      } catch {
        // Already gone.
      }
    },
  };
}
