/**
 * Process groups of this Berth process: exit tracking for its own children (shared by every
 * runtime object in the process) and stopping a whole group, grandchildren included.
 */
import { BATCH, yieldToRequests } from '../../shared/index.ts';
import { RuntimeError } from '../errors.ts';
import { groupMayExist, groupMembers, groupsWithLiveMembers, readProcStat } from './procfs.ts';

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  at: string;
}

/** A process this Berth process started (through its launcher), whose exit it is told of. */
export interface ChildHandle {
  pid: number;
  /** undefined: the exit will never be told (the launcher died); /proc must say. */
  exited: Promise<ExitInfo | undefined>;
  /** While someone waits for the exit, it must keep Berth alive; else it must not. */
  ref(): void;
  unref(): void;
}

interface TrackedChild {
  child: ChildHandle;
  startTime: number;
  exit?: ExitInfo;
  /** The launcher died: this exit will not be told. */
  untold?: true;
}

const children = new Map<number, TrackedChild>();

/** Remembers how a child of this process ended; `onExit` runs once it has. */
export function trackChild(child: ChildHandle, startTime: number, onExit: (exit: ExitInfo) => void): void {
  const tracked: TrackedChild = { child, startTime };
  children.set(child.pid, tracked);
  void child.exited.then(function childExited(exit) {
    if (!exit) {
      tracked.untold = true;
      return;
    }
    tracked.exit = exit;
    onExit(exit);
  });
}

/**
 * Whether a child of this process runs, known without /proc: its exit has not been told and will be
 * (its launcher lives). The exit watcher asks this of every ready service each second; reading
 * /proc for 1,000 of them took 20-30 ms of the event loop a second.
 */
export function runsByLauncher(pid: number, startTime: number): boolean {
  const tracked = children.get(pid);
  return tracked !== undefined && tracked.startTime === startTime && !tracked.exit && !tracked.untold;
}

/** The exit of a child of this process, waiting for Node to reap it when it is a zombie. */
export async function childExit(pid: number, startTime: number, waitForReap: boolean): Promise<ExitInfo | undefined> {
  const tracked = children.get(pid);
  if (!tracked || tracked.startTime !== startTime) return undefined;
  if (tracked.exit || !waitForReap) return tracked.exit;
  // The child is unref'd (it must not keep Berth alive); while we wait for its exit it must.
  tracked.child.ref();
  try {
    return await tracked.child.exited;
  } finally {
    tracked.child.unref();
  }
}

export function forgetChild(pid: number): void {
  children.delete(pid);
}

const POLL_MS = 50;
const KILL_WAIT_MS = 10_000;

/**
 * Groups whose end someone awaits, checked together: every tick reads one process's stat per group
 * and, only for groups whose leader is gone while the group lives on, one shared pass over /proc.
 * Stopping N services then costs N small reads per tick, not N scans of every process.
 */
const awaited = new Map<number, { startTime: number; gone: () => void }[]>();
let ticker: NodeJS.Timeout | undefined;
/** A tick is going through its groups (in turns): the next one waits for it. */
let checking = false;

/** undefined = the leader's stat settles nothing; a scan must tell. */
function goneByLeader(pgid: number, startTime: number): boolean | undefined {
  if (!groupMayExist(pgid)) return true;
  const leader = readProcStat(pgid);
  if (leader && leader.startTime !== startTime) return true; // the id now belongs to another group
  if (leader && leader.state !== 'Z') return false;
  return undefined;
}

/**
 * One tick: BATCH groups a turn, and the shared pass over /proc in turns too. With 1,000 services
 * stopping at once a tick in one turn held the event loop 20-45 ms, every 50 ms until they were gone.
 */
async function checkAwaited(): Promise<void> {
  if (checking) return; // the last tick is still going through its groups
  checking = true;
  try {
    // By group and leader start time: a group id can be taken again while this tick yields.
    const checks = [...awaited].map(([pgid, waiters]) => ({ pgid, startTime: waiters[0]!.startTime }));
    const unsure: typeof checks = [];
    const ended: typeof checks = [];
    for (const [index, check] of checks.entries()) {
      if (index > 0 && index % BATCH === 0) await yieldToRequests();
      const gone = goneByLeader(check.pgid, check.startTime);
      if (gone === undefined) unsure.push(check);
      else if (gone) ended.push(check);
    }
    const live = await groupsWithLiveMembers(new Set(unsure.map((check) => check.pgid)));
    ended.push(...unsure.filter((check) => !live.has(check.pgid)));
    for (const { pgid, startTime } of ended) {
      const waiters = awaited.get(pgid) ?? [];
      for (const waiter of waiters) if (waiter.startTime === startTime) waiter.gone();
      const rest = waiters.filter((waiter) => waiter.startTime !== startTime);
      if (rest.length) awaited.set(pgid, rest);
      else awaited.delete(pgid);
    }
  } finally {
    checking = false;
  }
  if (awaited.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/**
 * Resolves true once the group is gone, false after `ms`. Only the leader's stat is read here: when
 * it cannot tell (a zombie leader), the ticker's one shared pass over /proc does, for every group
 * awaited. (A pass of its own for each group held the event loop ~0.3 s per service when 1,000
 * services stopped at once.)
 */
function waitUntilGone(pgid: number, startTime: number, ms: number): Promise<boolean> {
  if (goneByLeader(pgid, startTime) === true) return Promise.resolve(true);
  return new Promise((resolve) => {
    const waiter = {
      startTime,
      gone: () => {
        clearTimeout(timer);
        resolve(true);
      },
    };
    const timer = setTimeout(() => {
      const rest = (awaited.get(pgid) ?? []).filter((w) => w !== waiter);
      if (rest.length) awaited.set(pgid, rest);
      else awaited.delete(pgid);
      resolve(false);
    }, ms);
    awaited.set(pgid, [...(awaited.get(pgid) ?? []), waiter]);
    ticker ??= setInterval(() => void checkAwaited(), POLL_MS);
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * SIGTERM to the whole group, up to `graceMs` for it to end, then SIGKILL, and back only when no
 * process of the group is left (a port or file a straggler holds would break the next start).
 */
export async function stopGroup(service: string, pgid: number, startTime: number, graceMs: number): Promise<void> {
  if (goneByLeader(pgid, startTime) === true) return;
  signalGroup(pgid, 'SIGTERM'); // a group that is gone already answers ESRCH, ignored
  if (await waitUntilGone(pgid, startTime, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (await waitUntilGone(pgid, startTime, KILL_WAIT_MS)) return;
  const left = groupMembers(pgid, startTime);
  throw new RuntimeError('BERTH_RUNTIME_STOP_FAILED', { service, pgid, pids: left, waitedMs: KILL_WAIT_MS }, { details: { service, pgid, pids: left } });
}
