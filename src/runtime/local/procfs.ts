/**
 * Linux /proc readers: the local runtime identifies its process groups by pgid plus the leader's
 * start time (so a reused pid is never mistaken for a service) and finds who holds a port.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { yieldToRequests } from '../../shared/index.ts';

export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T, … */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22: clock ticks after boot when the process started; unique per pid incarnation. */
  startTime: number;
}

/** Parses /proc/<pid>/stat; undefined when the process does not exist (or vanished meanwhile). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir).filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

/**
 * Live (non-zombie) processes in process group `pgid`. When the group leader's pid now belongs to
 * another process (different start time), the group we started is gone: Linux never reuses a
 * pid while a process group of that id still has members.
 */
/**
 * False when no process is left in the group (one signal-0 to the group, no /proc scan): stopping N
 * services must not read every process's stat N times over. True may include zombies or a reused id;
 * groupMembers then tells.
 */
export function groupMayExist(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Which of `pgids` still have a live (non-zombie) member: one pass over /proc for all of them, with
 * the event loop free every PROC_BATCH processes (1,000 services are 2,000 processes or more).
 */
export async function groupsWithLiveMembers(pgids: ReadonlySet<number>): Promise<Set<number>> {
  const live = new Set<number>();
  if (pgids.size === 0) return live;
  let read = 0;
  for (const pid of numericEntries('/proc')) {
    if (++read % PROC_BATCH === 0) await yieldToRequests();
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z' && pgids.has(stat.pgid)) live.add(stat.pgid);
  }
  return live;
}

/** /proc entries read in one turn: a stat is a few microseconds. */
const PROC_BATCH = 200;

export function groupMembers(pgid: number, leaderStartTime?: number): number[] {
  if (leaderStartTime !== undefined) {
    const leader = readProcStat(pgid);
    if (leader && leader.startTime !== leaderStartTime) return [];
  }
  const members: number[] = [];
  for (const pid of numericEntries('/proc')) {
    const stat = readProcStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z') members.push(pid);
  }
  return members;
}

/** The command line of a process, spaces between arguments; '' when unreadable. */
export function processCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** The environment a process was started with (the service's env, for `exec`). */
export function processEnviron(pid: number): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const TCP_LISTEN = '0A';

/**
 * Socket inodes listening on TCP `port` (any address, IPv4 and IPv6), or undefined when
 * /proc/net is not readable (then the caller falls back to a bind attempt).
 */
export async function listeningInodes(port: number, procDir = '/proc'): Promise<number[] | undefined> {
  const inodes: number[] = [];
  let readAny = false;
  // /proc/<pid>/net shows the network namespace of <pid> (an isolated session's holder).
  for (const table of [`${procDir}/net/tcp`, `${procDir}/net/tcp6`]) {
    let text: string;
    try {
      // Asynchronous: the kernel builds these tables on read, milliseconds each with many sockets.
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== TCP_LISTEN) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.push(Number(cols[9]));
    }
  }
  return readAny ? inodes : undefined;
}

export interface PortHolder {
  pid: number;
  command: string;
}

/** The process holding one of these socket inodes, by scanning /proc/<pid>/fd (needs permission). */
export function socketHolder(inodes: number[]): PortHolder | undefined {
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`));
  for (const pid of numericEntries('/proc')) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) return { pid, command: processCommand(pid) };
    }
  }
  return undefined;
}
