import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live processes other than this one (zombies hold no resources) for which `matches` is true. */
export function livePids(matches: (pid: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (matches(entry)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Pids of live processes whose environment contains NAME=VALUE (how tests find a session's processes). */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  return livePids((pid) => `${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(needle));
}

/** Pids of live processes whose command line contains every one of `parts` (the holders carry their session's directory). */
export function pidsWithCommandLine(...parts: string[]): number[] {
  return livePids((pid) => {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return parts.every((part) => commandLine.includes(part));
  });
}
