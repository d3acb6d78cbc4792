/**
 * Binds without root: a plan's mounts map container paths (`/project-dir`, `/data`, …) to host
 * directories. The local runtime rewrites those paths where they appear in argv and env values,
 * and mirrors them as symlinks under the service's scratch directory for relative paths.
 * Limits (see docs/runtimes/local.md): a path the program assembles at run time is not rewritten.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { MountPlan } from '../../plan/index.ts';
import { normaliseBindTarget } from '../../spec/index.ts';
import { RuntimeError } from '../errors.ts';

export interface Bind {
  target: string;
  hostPath: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `//data/./x/` -> `/data/x`, the form the path rewriter and the symlinks use. Validation refuses `..`
 * (BERTH_SPEC_BIND_TARGET_DOTS); a plan that still carries one is refused here too, since its symlink
 * would land outside the service's directory.
 */
function normaliseTarget(target: string): string {
  const normalised = normaliseBindTarget(target);
  if (normalised === undefined) {
    throw new RuntimeError('BERTH_RUNTIME_BIND_TARGET_INVALID', { target }, { details: { target } });
  }
  return normalised;
}

export function bindsOf(mounts: MountPlan[]): Bind[] {
  return mounts
    .filter((m) => m.target.startsWith('/'))
    // Resolved here: the service's cwd is its scratch dir, where a relative host path means nothing.
    .map((m) => ({ target: normaliseTarget(m.target), hostPath: resolve(m.hostPath) }))
    .filter((b) => b.target !== '/')
    .sort((a, b) => b.target.length - a.target.length);
}

/**
 * Returns a function that rewrites every bind target used as a path in a string: at the start or
 * after `=`, `:`, a space or a quote, and followed by the end, `/` or any character that cannot be
 * part of a file name (so `/data2` is not `/data`). Longest target first.
 */
export function pathRewriter(binds: Bind[]): (text: string) => string {
  if (binds.length === 0) return (text) => text;
  const byTarget = new Map(binds.map((b) => [b.target, b.hostPath]));
  const targets = [...byTarget.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(^|[=: '"])(${targets.join('|')})(?![\\w.\\-])`, 'g');
  return function rewritePaths(text: string): string {
    return text.replace(pattern, (_match, before: string, target: string) => `${before}${byTarget.get(target) ?? target}`);
  };
}

/**
 * Creates `<scratch><target>` -> host path symlinks, so relative paths resolved from a cwd shaped
 * like the image's working directory reach the bound directories. A target nested inside another
 * target is skipped: creating it would write into the user's directory.
 */
export function linkBinds(scratch: string, binds: Bind[]): void {
  const linked: string[] = [];
  for (const bind of [...binds].sort((a, b) => a.target.length - b.target.length)) {
    if (linked.some((parent) => bind.target.startsWith(`${parent}/`))) continue;
    const link = join(scratch, bind.target);
    // Never outside the scratch dir, whatever the target: a belt to normaliseTarget's braces.
    if (relative(scratch, link).startsWith('..')) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(bind.hostPath, link, 'dir');
    linked.push(bind.target);
  }
}

/** The host directory a container path refers to when it lies inside a bind, else undefined. */
export function hostPathOf(path: string, binds: Bind[]): string | undefined {
  for (const bind of binds) {
    if (path === bind.target) return bind.hostPath;
    if (path.startsWith(`${bind.target}/`)) return join(bind.hostPath, path.slice(bind.target.length));
  }
  return undefined;
}
