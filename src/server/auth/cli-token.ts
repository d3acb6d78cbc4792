/**
 * `<data-dir>/cli-token`: an admin API token for the CLI on the same machine, readable only by the
 * user who runs the server (mode 0600, created with that mode, never widened). Whoever can read the
 * data directory owns the server anyway; the file only spares them a login.
 */
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, fchmodSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError } from './errors.ts';

export const CLI_TOKEN_FILE = 'cli-token';

export type CliTokenFileState =
  | { state: 'missing' }
  | { state: 'ok'; token: string }
  /** Group or others could read it: the token must be treated as leaked. */
  | { state: 'exposed'; mode: number };

export function cliTokenPath(dataDir: string): string {
  return join(dataDir, CLI_TOKEN_FILE);
}

export function readCliTokenFile(dataDir: string): CliTokenFileState {
  const path = cliTokenPath(dataDir);
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw fileError(path, 'read', cause);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) return { state: 'exposed', mode };
  try {
    return { state: 'ok', token: readFileSync(path, 'utf8').trim() };
  } catch (cause) {
    throw fileError(path, 'read', cause);
  }
}

/** Writes the token atomically: a 0600 temp file beside the target, checked, then renamed over it. */
export function writeCliTokenFile(dataDir: string, token: string): string {
  const path = cliTokenPath(dataDir);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    rmSync(temp, { force: true });
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      // The umask can only take bits away; fchmod pins the mode whatever the umask was.
      fchmodSync(fd, 0o600);
      const mode = fstatSync(fd).mode & 0o777;
      if (process.platform !== 'win32' && mode !== 0o600) {
        throw new Error(`the file came out with mode ${mode.toString(8)} instead of 600`);
      }
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw fileError(path, 'write', cause);
  }
  return path;
}

export function removeCliTokenFile(dataDir: string): void {
  rmSync(cliTokenPath(dataDir), { force: true });
}

function fileError(path: string, action: 'read' | 'write', cause: unknown): AuthError {
  return new AuthError('BERTH_AUTH_TOKEN_FILE', { action, path, reason: (cause as Error).message ?? String(cause) }, { cause });
}
