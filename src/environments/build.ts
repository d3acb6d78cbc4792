/**
 * One environment build: reserve the next build number, hand the generated Dockerfile and the
 * project to the runtime's image builder (an engine, or a Kubernetes Job that pushes to a
 * registry), and record the outcome with the whole log. The image a build records is the
 * reference services run (an engine tag, or `<registry>/<repo>@sha256:…`). A failed build keeps
 * the previous image current.
 */
import type { ImageBuilder } from '../runtime/index.ts';
import type { Db } from '../store/index.ts';
import { getEnvironment } from './definitions.ts';
import { buildContext, DOCKERFILE_PATH, generateDockerfile } from './context.ts';
import { EnvironmentError } from './errors.ts';
import { environmentBuildStore, type EnvironmentBuild } from './store.ts';

export interface BuildEnvironmentOptions {
  builder: ImageBuilder;
  projectDir: string;
  projectUuid: string;
  environmentUuid: string;
  db: Db;
  /** Every line of the build log, as it arrives. */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * Successful builds whose images are kept after a new one succeeds (default 2: the new one and
   * the one before, to go back to); older images are removed unless `imageInUse` says a session
   * pins one or the engine refuses because a container runs it.
   */
  keepImages?: number;
  imageInUse?: (image: string) => boolean;
}

const LAST_LINES = 15;
const KEEP_IMAGES = 2;

export async function buildEnvironment(options: BuildEnvironmentOptions): Promise<EnvironmentBuild> {
  const { properties, setupScript } = await getEnvironment(options.projectDir, options.environmentUuid);
  const store = environmentBuildStore(options.db);
  const dockerfile = generateDockerfile({ baseImage: properties.base_image, projectUuid: options.projectUuid, environmentUuid: options.environmentUuid });
  const build = store.begin(options.projectUuid, options.environmentUuid);
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    options.onLog?.(line);
  };
  const label = `environment "${properties.name}" (${options.environmentUuid}) of project ${options.projectUuid}`;
  const facts = { number: build.number, name: properties.name, environmentUuid: options.environmentUuid, projectUuid: options.projectUuid };
  log(`berth: building ${label}, build ${build.number}, from ${properties.base_image} (${options.builder.description})`);

  try {
    const { image } = await options.builder.build({
      projectUuid: options.projectUuid,
      environmentUuid: options.environmentUuid,
      number: build.number,
      projectDir: options.projectDir,
      dockerfile,
      setupScript,
      context: async () => ({ tar: await buildContext(options.projectDir, setupScript, dockerfile), dockerfilePath: DOCKERFILE_PATH }),
      tag: build.image,
      onLog: log,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    log(`berth: built ${image}`);
    await removeOldImages(options, store.list(options.projectUuid, options.environmentUuid), image, log);
    return store.finish(build, { status: 'succeeded', log: lines.join('\n'), image });
  } catch (cause) {
    if (options.signal?.aborted) {
      log('berth: build cancelled');
      store.finish(build, { status: 'cancelled', log: lines.join('\n') });
      throw new EnvironmentError('BERTH_ENV_BUILD_CANCELLED', facts, { cause });
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    log(`berth: ${reason}`);
    store.finish(build, { status: 'failed', log: lines.join('\n'), error: reason });
    const tail = lines.filter((l) => l.trim() !== '').slice(-LAST_LINES).join('\n');
    throw new EnvironmentError('BERTH_ENV_BUILD_FAILED', { ...facts, reason, tail }, {
      cause,
      details: { number: build.number, image: build.image, reason },
    });
  }
}

/** Best effort: a cleanup that fails is said in the log and never fails the build. */
async function removeOldImages(options: BuildEnvironmentOptions, builds: EnvironmentBuild[], newImage: string, log: (line: string) => void): Promise<void> {
  const { builder } = options;
  if (!builder.remove) return;
  const older = builds.filter((b) => b.status === 'succeeded' && b.image !== newImage).sort((a, b) => b.number - a.number);
  for (const build of older.slice(Math.max(0, (options.keepImages ?? KEEP_IMAGES) - 1))) {
    if (options.imageInUse?.(build.image)) {
      log(`berth: kept ${build.image} (build ${build.number}): a running session uses it`);
      continue;
    }
    const outcome = await builder.remove(build.image).catch((error: unknown) => `not removed: ${error instanceof Error ? error.message : String(error)}`);
    if (outcome === 'removed') log(`berth: removed ${build.image} (build ${build.number}), no longer needed`);
    else if (outcome === 'in use') log(`berth: kept ${build.image} (build ${build.number}): a container still uses it`);
    else if (outcome !== 'missing') log(`berth: ${build.image} (build ${build.number}) ${outcome}`);
  }
}
