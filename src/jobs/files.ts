/** File work of a run: the project copy, the run's pipeline file (written atomically), the transfer directory. */
import { chown, cp, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { PipelineSpec } from '../spec/index.ts';

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/**
 * Copies a project for one run, leaving out version control and installed packages (large, and
 * not what a step reads). `exclude` keeps Berth's own data directory out when it sits inside the project.
 */
export async function copyProject(source: string, target: string, exclude: string[] = []): Promise<void> {
  const excluded = new Set(exclude.map((p) => resolve(p)));
  await mkdir(dirname(target), { recursive: true });
  await cp(source, target, {
    recursive: true,
    verbatimSymlinks: true,
    filter: function keepInRunCopy(path) {
      if (excluded.has(resolve(path))) return false;
      return !SKIPPED_DIRS.has(basename(path));
    },
  });
}

/** Orchest writes pipeline files with 4-space indents; so does Berth. */
export async function writePipelineFile(file: string, spec: PipelineSpec): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temp, `${JSON.stringify(spec, null, 4)}\n`);
  await rename(temp, file);
}

/**
 * The directory orchest.transfer writes step outputs to. Step containers run as the project
 * directory's owner (as services do): when Berth runs as root, the directory is given to that owner
 * so those steps can write it.
 */
export async function makeTransferDir(dir: string, projectDir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  const owner = await stat(projectDir).catch(() => undefined);
  if (owner && owner.uid !== 0) await chown(dir, owner.uid, owner.gid);
}
