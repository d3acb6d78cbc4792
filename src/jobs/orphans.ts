/**
 * Step processes run in their own process groups so a cancel kills their children too; the flip
 * side is that they outlive a crash of Berth. Every step carries BERTH_RUN_UUID in its
 * environment, so recovery finds and kills what a crashed run left (Linux: /proc).
 */
import { readdirSync, readFileSync } from 'node:fs';

export const RUN_MARKER = 'BERTH_RUN_UUID';

/** Pids of live processes whose environment contains BERTH_RUN_UUID=<runUuid>. */
export function stepProcesses(runUuid: string): number[] {
  const needle = `\0${RUN_MARKER}=${runUuid}\0`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (`\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) pids.push(Number(entry));
    } catch {
      // ended while we looked, or not ours to read
    }
  }
  return pids;
}

export function killStepProcesses(runUuid: string): number {
  const pids = stepProcesses(runUuid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.length;
}
