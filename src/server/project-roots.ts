/**
 * Which directories may become projects. A project is read (its files are served to sessions and
 * jobs) and written (pipelines, environments): registering `/`, `/etc` or Berth's own data directory
 * would hand that access out through the API. Operators can narrow it further with
 * `berth serve --project-root DIR` (repeatable). See docs/security.md.
 */
import { sep } from 'node:path';
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
  const ownProject = dir !== policy.projectsDir && inside(dir, policy.projectsDir);
  let why: string | undefined;
  if (SYSTEM_ROOTS.includes(dir)) why = `${dir} is a system directory`;
  else if (SYSTEM_TREES.some((tree) => inside(dir, tree))) why = `${dir} is a system directory or lies inside one`;
  else if (policy.dataDir !== undefined && !ownProject && (inside(dir, policy.dataDir) || inside(policy.dataDir, dir))) {
    why = `${dir} holds Berth's data directory (${policy.dataDir}) or lies inside it`;
  } else if (policy.allowedRoots && policy.allowedRoots.length > 0 && !ownProject && !policy.allowedRoots.some((root) => inside(dir, root))) {
    why = `${dir} is outside the allowed project roots (${policy.allowedRoots.join(', ')})`;
  }
  if (why === undefined) return;
  throw new ApiError('BERTH_API_PROJECT_PATH_FORBIDDEN', `cannot register ${dir} as a project: ${why}`, {
    hint: policy.allowedRoots?.length
      ? 'register a directory inside an allowed root, or start Berth with another --project-root'
      : 'register the directory that holds the project\'s files (e.g. ~/work/analysis), not a system directory',
    details: { path: dir },
  });
}
