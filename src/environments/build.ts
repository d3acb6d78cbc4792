/**
 * One environment build: reserve the next build number, hand the generated Dockerfile and the
 * project to the runtime's image builder (an engine, or a Kubernetes Job that pushes to a
 * registry), and record the outcome with the whole log. The image a build records is the
 * reference services run (an engine tag, or `<registry>/<repo>@sha256:…`). A failed build keeps
 * the previous image current.
 */
import type { ImageBuilder } from '../runtime/types.ts';
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
}

const LAST_LINES = 15;

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
    return store.finish(build, { status: 'succeeded', log: lines.join('\n'), image });
  } catch (cause) {
    if (options.signal?.aborted) {
      log('berth: build cancelled');
      store.finish(build, { status: 'cancelled', log: lines.join('\n') });
      throw new EnvironmentError('BERTH_ENV_BUILD_CANCELLED', `build ${build.number} of ${label} was cancelled`, { cause });
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    log(`berth: ${reason}`);
    store.finish(build, { status: 'failed', log: lines.join('\n'), error: reason });
    const tail = lines.filter((l) => l.trim() !== '').slice(-LAST_LINES).join('\n');
    throw new EnvironmentError('BERTH_ENV_BUILD_FAILED', `build ${build.number} of ${label} failed: ${reason}\nlast lines of the build log:\n${tail}`, {
      cause,
      hint: 'fix the setup script (or the base image) and build again; the previous successful image stays in use',
      details: { number: build.number, image: build.image, reason },
    });
  }
}
