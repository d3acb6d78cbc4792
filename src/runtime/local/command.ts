/** What a service runs on the host: its argv, the check that it exists, and the fixed umask wrapper. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ServicePlan } from '../../plan/index.ts';
import { RuntimeError } from '../errors.ts';
import { hostDefaultFor, hostDefaultImages } from './host-defaults.ts';

export interface ServiceCommand {
  argv: string[];
  /** How to install the program when the argv came from the host defaults table. */
  install?: string;
}

/** argv = [...command, ...args]; with neither, the host defaults table for well-known images. */
export function serviceArgv(plan: ServicePlan): ServiceCommand {
  if (plan.environmentUuid !== undefined) {
    throw new RuntimeError('BERTH_RUNTIME_NEEDS_CONTAINERS', { service: plan.name, environmentUuid: plan.environmentUuid }, { details: { service: plan.name } });
  }
  const argv = [...(plan.command ?? []), ...(plan.args ?? [])];
  if (argv.length > 0) return { argv };
  const fallback = hostDefaultFor(plan.image);
  if (fallback?.argv) {
    return { argv: fallback.argv(plan.ports[0]), ...(fallback.install ? { install: fallback.install } : {}) };
  }
  throw new RuntimeError(
    'BERTH_RUNTIME_NO_COMMAND',
    { service: plan.name, image: plan.image, hostDefaults: hostDefaultImages() },
    { details: { service: plan.name, image: plan.image } },
  );
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Looks the executable up the way the shell will (PATH of the service's env, cwd for paths with a
 * slash), so a typo fails the start at once instead of as exit code 127 later.
 */
export function assertExecutable(service: ServicePlan, command: ServiceCommand, env: Record<string, string>, cwd: string): void {
  const executable = command.argv[0] ?? '';
  const found = executable.includes('/')
    ? isExecutableFile(isAbsolute(executable) ? executable : join(cwd, executable))
    : (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, executable)));
  if (found) return;
  // What the hint needs to name the likeliest fix (codes.ts): a file that exists but cannot run, args without a command.
  const exists = executable.includes('/') && existsSync(isAbsolute(executable) ? executable : join(cwd, executable));
  const argsOnly = (service.command ?? []).length === 0 && (service.args ?? []).length > 0;
  throw new RuntimeError(
    'BERTH_RUNTIME_EXECUTABLE_NOT_FOUND',
    { run: 'service', service: service.name, executable, exists, argsOnly, install: command.install },
    { details: { service: service.name, executable } },
  );
}

/**
 * The one wrapper: a fixed script, the service's argv passed as positional parameters (never
 * interpolated), so the service runs with umask 002 and the files it writes stay group-writable.
 * It waits for one line on stdin before it execs: Berth writes the start marker (which needs the
 * pid) and the state file first, then releases it, so no output of the service can precede its
 * marker and no service runs that Berth has not recorded (if Berth dies first, stdin closes
 * without a line and the wrapper exits). The service's stdin is /dev/null.
 * bash when present: dash drops env vars whose names are not shell identifiers (`MY-VAR`), which
 * Orchest allows.
 */
export function umaskWrapper(argv: string[]): { file: string; args: string[] } {
  const script = ['-c', 'umask 002 && read -r _ && exec "$@" </dev/null', 'berth-umask', ...argv];
  // --norc: bash sources ~/.bashrc when its stdin is a socket (its "run by sshd" rule), and
  // Node's stdin pipe is a socketpair.
  if (existsSync('/bin/bash')) return { file: '/bin/bash', args: ['--norc', '--noprofile', ...script] };
  return { file: '/bin/sh', args: script };
}

export interface HostProgramProblem {
  /** The executable that is missing; null when the image has no host program at all. */
  program: string | null;
  message: string;
  hint: string;
}

/**
 * Why a service definition (a template's) would fail to start on this host, known before anyone
 * starts it: the program it runs is not on PATH, or its image has no host program. null: it can start.
 */
export function hostProgramProblem(service: { image: string; command?: string; args?: string; ports?: number[] }, path = process.env.PATH ?? ''): HostProgramProblem | null {
  const fallback = hostDefaultFor(service.image);
  const program = service.command || (service.args ? null : (fallback?.argv?.(service.ports?.[0])[0] ?? null));
  if (!program) {
    if (service.args || !service.image) return null; // a custom service: the user names the program
    return {
      program: null,
      message: `the local runtime has no host program for image "${service.image}"`,
      hint: 'set its command to a program installed on this machine, or start Berth with --runtime docker',
    };
  }
  const found = program.includes('/')
    ? isExecutableFile(program)
    : path.split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, program)));
  if (found) return null;
  return {
    program,
    message: `"${program}" is not installed on this machine`,
    hint: fallback?.install && !service.command ? `install it (${fallback.install}) or start Berth with --runtime docker` : 'install it, or start Berth with --runtime docker',
  };
}
