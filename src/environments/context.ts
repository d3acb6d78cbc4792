/**
 * The build context of an environment image, made in memory: the project snapshot under
 * `project/` (without `.git`, `.orchest` and what the root `.gitignore` excludes), the setup script
 * and a generated Dockerfile under `.berth-build/`. Mirrors Orchest's build (orchest-compatibility.md: Environments as services):
 * the project is baked in at /project-dir and the setup script runs there as the image's user.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createTar, type TarEntry } from './tar.ts';

export const DOCKERFILE_PATH = '.berth-build/Dockerfile';

export interface DockerfileInput {
  baseImage: string;
  projectUuid: string;
  environmentUuid: string;
}

export function generateDockerfile(input: DockerfileInput): string {
  return [
    `FROM ${input.baseImage}`,
    `LABEL berth.project=${JSON.stringify(input.projectUuid)} berth.environment=${JSON.stringify(input.environmentUuid)}`,
    'WORKDIR /project-dir',
    'COPY project/ /project-dir/',
    'COPY .berth-build/setup_script.sh /tmp/berth-build/setup_script.sh',
    // As Orchest: the script runs with bash from the project directory; it is not left in the image.
    'RUN bash /tmp/berth-build/setup_script.sh && rm -rf /tmp/berth-build',
    '',
  ].join('\n');
}

export async function buildContext(projectDir: string, setupScript: string, dockerfile: string): Promise<Buffer> {
  const ignore = await gitignoreMatcher(projectDir);
  const entries: TarEntry[] = [
    { type: 'directory', path: '.berth-build' },
    { type: 'file', path: DOCKERFILE_PATH, content: Buffer.from(dockerfile) },
    { type: 'file', path: '.berth-build/setup_script.sh', content: Buffer.from(setupScript), mode: 0o755 },
    { type: 'directory', path: 'project' },
  ];
  await collect(projectDir, '', ignore, entries);
  return createTar(entries);
}

/** Project-relative paths (with `/`) that go into the image, for tests and dry runs. */
export async function contextFiles(projectDir: string): Promise<string[]> {
  const entries: TarEntry[] = [];
  await collect(projectDir, '', await gitignoreMatcher(projectDir), entries);
  return entries.map((e) => e.path.slice('project/'.length));
}

async function collect(root: string, relative: string, ignore: (path: string, isDir: boolean) => boolean, out: TarEntry[]): Promise<void> {
  const names = (await readdir(join(root, relative))).sort();
  for (const name of names) {
    const path = relative ? `${relative}/${name}` : name;
    if (!relative && (name === '.git' || name === '.orchest')) continue;
    const full = join(root, path);
    const stat = await lstat(full);
    if (ignore(path, stat.isDirectory())) continue;
    const mtime = Math.floor(stat.mtimeMs / 1000);
    if (stat.isDirectory()) {
      out.push({ type: 'directory', path: `project/${path}`, mode: stat.mode & 0o7777, mtime });
      await collect(root, path, ignore, out);
    } else if (stat.isFile()) {
      out.push({ type: 'file', path: `project/${path}`, content: await readFile(full), mode: stat.mode & 0o7777, mtime });
    } else if (stat.isSymbolicLink()) {
      out.push({ type: 'symlink', path: `project/${path}`, target: await readlink(full), mtime });
    }
    // sockets, fifos and devices have no place in an image
  }
}

/**
 * The root `.gitignore`, as Orchest's build respected it: blank lines and comments skipped,
 * `dir/` matches directories only, a leading or inner `/` anchors to the root, `*`, `?` and `**`
 * glob. Negations (`!pattern`) and nested `.gitignore` files are not supported: such lines are
 * ignored, which only ever includes more files.
 */
export async function gitignoreMatcher(projectDir: string): Promise<(path: string, isDir: boolean) => boolean> {
  let text: string;
  try {
    text = await readFile(join(projectDir, '.gitignore'), 'utf8');
  } catch {
    return () => false;
  }
  const rules: { regex: RegExp; dirOnly: boolean }[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    rules.push({ regex: new RegExp(anchored ? `^${body}$` : `(^|/)${body}$`), dirOnly });
  }
  return (path, isDir) => rules.some((rule) => (!rule.dirOnly || isDir) && rule.regex.test(path));
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*' && glob[i + 2] === '/') {
      out += '(?:.*/)?';
      i += 2;
    } else if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
