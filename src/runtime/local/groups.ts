/**
 * Process groups of this Berth process: exit tracking for its own children (shared by every
 * runtime object in the process) and stopping a whole group, grandchildren included.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../errors.ts';
import { groupMayExist, groupMembers } from './procfs.ts';

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  at: string;
}

interface TrackedChild {
  child: ChildProcess;
  startTime: number;
  exited: Promise<ExitInfo>;
  exit?: ExitInfo;
}

const children = new Map<number, TrackedChild>();

/** Remembers how a child of this process ended; `onExit` runs once it has. */
export function trackChild(child: ChildProcess, startTime: number, onExit: (exit: ExitInfo) => void): void {
  const pid = child.pid;
  if (pid === undefined) return;
  let resolveExit: (exit: ExitInfo) => void = () => undefined;
  const tracked: TrackedChild = { child, startTime, exited: new Promise((resolve) => (resolveExit = resolve)) };
  children.set(pid, tracked);
  child.once('exit', function childExited(code, signal) {
    const exit = { exitCode: code, signal, at: new Date().toISOString() };
    tracked.exit = exit;
    resolveExit(exit);
    onExit(exit);
  });
}

/** The exit of a child of this process, waiting for Node to reap it when it is a zombie. */
export async function childExit(pid: number, startTime: number, waitForReap: boolean): Promise<ExitInfo | undefined> {
  const tracked = children.get(pid);
  if (!tracked || tracked.startTime !== startTime) return undefined;
  if (tracked.exit || !waitForReap) return tracked.exit;
  // The child is unref'd (it must not keep Berth alive); while we wait for its exit it must.
  tracked.child.ref();
  try {
    return await tracked.exited;
  } finally {
    tracked.child.unref();
  }
}

export function forgetChild(pid: number): void {
  children.delete(pid);
}

const POLL_MS = 50;
const KILL_WAIT_MS = 10_000;

function groupGone(pgid: number, startTime: number): boolean {
  return !groupMayExist(pgid) || groupMembers(pgid, startTime).length === 0;
}

async function waitUntilGone(pgid: number, startTime: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (groupGone(pgid, startTime)) return true;
    if (Date.now() >= until) return false;
    await sleep(POLL_MS);
  }
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
  if (groupGone(pgid, startTime)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilGone(pgid, startTime, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (await waitUntilGone(pgid, startTime, KILL_WAIT_MS)) return;
  const left = groupMembers(pgid, startTime);
  throw new RuntimeError(
    'BERTH_RUNTIME_STOP_FAILED',
    `service ${service}: processes ${left.join(', ')} of process group ${pgid} survived SIGKILL for ${KILL_WAIT_MS / 1000} s`,
    { hint: 'they are probably stuck in uninterruptible I/O (state D in /proc/<pid>/stat); check the disk or NFS mount they use', details: { service, pgid, pids: left } },
  );
}
