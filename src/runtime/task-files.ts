/**
 * A task's `hostFiles` as contents, for runtimes whose containers cannot mount Berth's host
 * (kubernetes ships them in a ConfigMap): a file, or the files under a directory (the Python
 * SDK's `orchest/*.py`) at their paths under `target`, without caches and the SDK's tests.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskSpec } from './types.ts';

type TaskFile = TaskSpec['files'][number];

/** The task's own `files` and the contents of its `hostFiles`, in that order. */
export async function taskFileContents(task: TaskSpec): Promise<TaskFile[]> {
  const hosted = await Promise.all((task.hostFiles ?? []).map((f) => filesOf(f.hostPath, f.target)));
  return [...task.files, ...hosted.flat()];
}

async function filesOf(hostPath: string, target: string): Promise<TaskFile[]> {
  const entries = await readdir(hostPath, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [{ path: target, content: await readFile(hostPath, 'utf8') }];
  const nested = await Promise.all(
    entries
      .filter((e) => (e.isDirectory() && e.name !== '__pycache__' && e.name !== 'tests') || (e.isFile() && !e.name.endsWith('.pyc')))
      .map((e) => filesOf(join(hostPath, e.name), `${target}/${e.name}`)),
  );
  return nested.flat();
}
