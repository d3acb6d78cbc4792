/**
 * Which directories may become projects. A project is read (its files are served to sessions and
 * jobs) and written (pipelines, environments): registering `/`, `/etc` or Berth's own data directory
 * would hand that access out through the API. Operators can narrow it further with
 * `berth serve --project-root DIR` (repeatable). See docs/security.md.
 */
import { sep } from 'node:path';
import type { ForbiddenRoot } from './codes.ts';
import { ApiError } from './errors.ts';

/** System trees refused with everything inside them. */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/boot', '/run', '/var', '/srv', '/opt'];
/** Refused themselves (they hold every user's files), but a project may sit inside them. */
const SYSTEM_ROOTS = ['/', '/home', '/root', '/tmp', '/mnt', '/media'];

export interface ProjectRootPolicy {
  /** Berth's data directory: refused, except for the projects Berth created itself under `projectsDir`. */
  dataDir?: string | undefined;
  /** Where `create` puts new projects (`<data-dir>/projects`). */
  projectsDir: string;
  /** When given, projects must lie inside one of these (already resolved, real paths). */
  allowedRoots?: readonly string[] | undefined;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** Throws BERTH_API_PROJECT_PATH_FORBIDDEN when `dir` (a real, absolute path) may not be a project. */
export function assertProjectRootAllowed(dir: string, policy: ProjectRootPolicy): void {
  const forbidden = whyForbidden(dir, policy);
  if (forbidden) throw new ApiError('BERTH_API_PROJECT_PATH_FORBIDDEN', forbidden, { details: { path: dir } });
}

function whyForbidden(dir: string, policy: ProjectRootPolicy): ForbiddenRoot | undefined {
  const ownProject = dir !== policy.projectsDir && inside(dir, policy.projectsDir);
  const { dataDir, allowedRoots } = policy;
  if (SYSTEM_ROOTS.includes(dir)) return { dir, reason: 'system-directory', allowedRoots };
  if (SYSTEM_TREES.some((tree) => inside(dir, tree))) return { dir, reason: 'inside-system-directory', allowedRoots };
  if (dataDir !== undefined && !ownProject && (inside(dir, dataDir) || inside(dataDir, dir))) return { dir, reason: 'data-directory', dataDir, allowedRoots };
  if (allowedRoots && allowedRoots.length > 0 && !ownProject && !allowedRoots.some((root) => inside(dir, root))) return { dir, reason: 'outside-roots', allowedRoots };
  return undefined;
}
