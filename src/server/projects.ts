/**
 * Projects are directories registered by path; their pipelines are the `.orchest` files inside.
 * A pipeline is referred to by its path relative to the project, its uuid or its name.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { installPath } from '../shared/index.ts';
import {
  findPipelineFiles,
  pipelineReader,
  type ValidateOptions,
  type LoadedPipeline,
  type PipelineSpec,
} from '../spec/index.ts';
import type { CoreStore, ProjectRecord } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { assertProjectRootAllowed } from './project-roots.ts';

export interface PipelineRef {
  /** Path relative to the project directory. */
  path: string;
  loaded: LoadedPipeline;
}

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** What a new project can start from: the bundled demo, or one empty pipeline. */
export const STARTERS = ['demo', 'empty'] as const;
export type Starter = (typeof STARTERS)[number];

const DEMO_SOURCE = installPath('examples', 'demo');

export class Projects {
  /** @param projectsDir where `create` puts new projects: `<data-dir>/projects`; on kubernetes the projects claim's mount, where services can mount them. */
  constructor(
    private readonly store: CoreStore,
    private readonly projectsDir: string,
    /** Berth's data directory and the operator's allowed roots (`--project-root`): see project-roots.ts. */
    private readonly roots: { dataDir?: string; allowedRoots?: readonly string[] } = {},
    /** The runtime pipelines run on: validation applies its rules too (kubernetes: the API server's env names). */
    private readonly runtimeKind?: string,
  ) {}

  /**
   * Each pipeline file as last loaded, with the stat it was loaded at. Every listing, lookup and
   * start loads all of a project's files; parsing and validating a 1,000-service file takes the
   * reader's worker 30-160 ms, so a file is parsed again only when it changed (mtime, size or inode:
   * the editor's atomic save renames a new file in).
   */
  readonly #loaded = new Map<string, { stamp: string; loaded: LoadedPipeline }>();

  /** The file's pipeline, from the cache while the file is unchanged; callers get their own copy. */
  async #load(file: string): Promise<LoadedPipeline> {
    const before = await fileStamp(file);
    const cached = this.#loaded.get(file);
    if (cached && before !== undefined && cached.stamp === before) return structuredClone(cached.loaded);
    const loaded = await loadIsolated(file, { runtime: this.runtimeKind });
    // Cached only when nothing changed while it was read: else the next call reads it again.
    if (before !== undefined && (await fileStamp(file)) === before) this.#loaded.set(file, { stamp: before, loaded: structuredClone(loaded) });
    else this.#loaded.delete(file);
    return loaded;
  }

  /**
   * Creates `<projectsDir>/<name>` from a starter and registers it. Nothing is written when the
   * name is taken or invalid; an existing directory is never overwritten.
   */
  async create(name: string, starter: Starter = 'empty'): Promise<ProjectRecord> {
    if (!PROJECT_NAME.test(name)) {
      throw new ApiError('BERTH_API_PROJECT_NAME_INVALID', { name, on: 'create' });
    }
    if (!STARTERS.includes(starter)) {
      throw new ApiError('BERTH_API_STARTER_INVALID', { starter: String(starter), starters: STARTERS });
    }
    if (this.store.findProject(name)) {
      throw new ApiError('BERTH_API_PROJECT_EXISTS', { clash: 'name', name });
    }
    const dir = join(this.projectsDir, name);
    if (await stat(dir).then(() => true, () => false)) {
      throw new ApiError('BERTH_API_PROJECT_EXISTS', { clash: 'directory', dir });
    }
    await mkdir(this.projectsDir, { recursive: true });
    if (starter === 'demo') await cp(DEMO_SOURCE, dir, { recursive: true, errorOnExist: true, force: false });
    else await writeEmptyProject(dir, name);
    return this.add(dir, name);
  }

  async add(path: string, name?: string): Promise<ProjectRecord> {
    let dir: string;
    try {
      dir = await realpath(resolve(path));
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    } catch (cause) {
      throw new ApiError('BERTH_API_PROJECT_PATH_INVALID', { path }, { cause });
    }
    assertProjectRootAllowed(dir, { ...this.roots, projectsDir: await realpath(this.projectsDir).catch(() => resolve(this.projectsDir)) });
    const projectName = name ?? basename(dir);
    if (!PROJECT_NAME.test(projectName)) {
      throw new ApiError('BERTH_API_PROJECT_NAME_INVALID', { name: projectName, on: 'add' });
    }
    const clash = this.store.listProjects().find((p) => p.name === projectName || p.path === dir);
    if (clash) {
      throw new ApiError(
        'BERTH_API_PROJECT_EXISTS',
        clash.path === dir ? { clash: 'directory', dir, otherName: clash.name } : { clash: 'name', name: projectName, otherPath: clash.path },
      );
    }
    return this.store.addProject({ name: projectName, path: dir });
  }

  get(ref: string): ProjectRecord {
    const project = this.store.findProject(ref);
    if (!project) {
      throw new ApiError('BERTH_API_PROJECT_NOT_FOUND', { ref, known: this.store.listProjects().map((p) => p.name) });
    }
    return project;
  }

  async pipelines(project: ProjectRecord): Promise<PipelineRef[]> {
    // findPipelineFiles answers paths relative to the project; resolve keeps absolute ones as they are.
    const files = (await findPipelineFiles(project.path)).map((file) => resolve(project.path, file));
    return Promise.all(files.map(async (file) => ({ path: relative(project.path, file), loaded: await this.#load(file) })));
  }

  /** Finds a pipeline by relative path, uuid or name, whether or not its file is valid. */
  async find(project: ProjectRecord, ref: string): Promise<PipelineRef> {
    const all = await this.pipelines(project);
    const found =
      all.find((p) => p.path === ref || p.path === `${ref}.orchest`) ??
      all.find((p) => p.loaded.spec?.uuid === ref) ??
      all.find((p) => p.loaded.spec?.name === ref);
    if (!found) {
      throw new ApiError('BERTH_API_PIPELINE_NOT_FOUND', { project: project.name, ref, pipelines: all.map((p) => p.path) });
    }
    return found;
  }

  /** Like find, and its file must load without errors (what sessions and jobs need). */
  /**
   * The project and valid pipeline a request body names (`{"project", "pipeline", …}`), for the
   * routes that start something from a pipeline; `example` is a whole body for the hint.
   */
  async fromBody(body: { project?: string; pipeline?: string }, example: string): Promise<{ project: ProjectRecord; pipeline: PipelineRef & { spec: PipelineSpec } }> {
    if (!body.project || !body.pipeline) {
      throw new ApiError('BERTH_API_BAD_REQUEST', { needs: 'project-and-pipeline', example });
    }
    const project = this.get(body.project);
    return { project, pipeline: await this.pipeline(project, body.pipeline) };
  }

  async pipeline(project: ProjectRecord, ref: string): Promise<PipelineRef & { spec: PipelineSpec }> {
    const found = await this.find(project, ref);
    const errors = found.loaded.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0 || !found.loaded.spec) {
      throw new ApiError('BERTH_API_PIPELINE_INVALID', { file: found.path, fullPath: resolve(project.path, found.path), errors }, { details: errors });
    }
    return { ...found, spec: found.loaded.spec };
  }
}

/** What tells a file's versions apart without reading it; undefined when it cannot be stat'ed. */
async function fileStamp(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.mtimeNs}:${info.size}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * A pipeline file that cannot even be read (permissions, a directory named *.orchest, a loader bug)
 * is reported on its own, as a diagnostic, so the project's other pipelines still list and start.
 * Parsed and checked on the reader's worker: never on the server's event loop.
 */
async function loadIsolated(file: string, options: ValidateOptions): Promise<LoadedPipeline> {
  try {
    return await pipelineReader().load(file, options);
  } catch (cause) {
    const { code, message, hint } = cause as { code?: unknown; message?: unknown; hint?: unknown };
    const diagnostic = {
      severity: 'error' as const,
      code: typeof code === 'string' && code.startsWith('BERTH_') ? code : 'BERTH_SPEC_READ_FAILED',
      file,
      path: '',
      message: `cannot load ${file}: ${String(message ?? cause)}`,
      hint: typeof hint === 'string' ? hint : 'run `berth validate` on the file',
    };
    return { file, raw: {}, sourceVersion: '1.0.0', migrated: false, diagnostics: [diagnostic] };
  }
}

/** One empty pipeline (current version, no steps, no services) and a README. */
async function writeEmptyProject(dir: string, name: string): Promise<void> {
  await mkdir(dir);
  const pipeline = { name: 'main', parameters: {}, services: {}, settings: {}, steps: {}, uuid: randomUUID(), version: '1.2.3' };
  await writeFile(join(dir, 'main.orchest'), `${JSON.stringify(pipeline, null, 4)}\n`);
  await writeFile(join(dir, 'README.md'), `# ${name}\n\nA Berth project: add steps and services to \`main.orchest\`.\n`);
}
