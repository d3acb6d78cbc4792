/** Finding the pipelines of a project: every *.orchest file, as Orchest discovered them. */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Directories that never hold pipelines: Orchest's own state, dependencies, version control. */
const SKIPPED_DIRECTORIES = new Set(['.orchest', 'node_modules', '.git']);

/** Paths of every `*.orchest` file under `projectDir`, relative to it, sorted. Symlinks are not followed. */
export async function findPipelineFiles(projectDir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(full);
      } else if (entry.isFile() && entry.name.endsWith('.orchest')) {
        found.push(relative(projectDir, full));
      }
    }
  }
  await walk(projectDir);
  return found.sort();
}
