/**
 * CLI output: readable colours for people (off when not a TTY or NO_COLOR is set), `--json` for
 * scripts, and one way to render errors: code, message, hint.
 */
import pc from 'picocolors';
import { BerthError, toBerthError } from '../shared/index.ts';

export const colors = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Exit code convention: 1 = the input is wrong (validation), 2 = usage, 3 = the operation failed. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export function renderError(error: unknown, json: boolean): string {
  const e = error instanceof BerthError ? error : toBerthError(error);
  if (json) return JSON.stringify({ error: e.toJSON() }, null, 2);
  const errColors = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);
  const lines = [`${errColors.red('error')} ${errColors.dim(`[${e.code}]`)} ${e.message}`];
  if (e.hint) lines.push(`  ${errColors.cyan('hint:')} ${e.hint}`);
  if (process.env.BERTH_DEBUG && e.cause instanceof Error && e.cause.stack) lines.push(errColors.dim(e.cause.stack));
  return lines.join('\n');
}
