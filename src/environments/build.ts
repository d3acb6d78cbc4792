/**
 * Builds an environment image through the Engine API (`POST /build`, Docker or Podman): the build
 * context is made in memory, the build log is streamed line by line to `onLog` and kept in the
 * build record. A failed build keeps the previous image current (it is never retagged).
 */
import type { Db } from '../store/index.ts';
import { createDockerClient, engineStatus, imageExists, readProgress } from '../runtime/docker/index.ts';
import { getEnvironment } from './definitions.ts';
import { buildContext, DOCKERFILE_PATH, generateDockerfile } from './context.ts';
import { EnvironmentError } from './errors.ts';
import { environmentBuildStore, type EnvironmentBuild } from './store.ts';

export interface BuildEnvironmentOptions {
  socketPath: string;
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
  const client = createDockerClient(options.socketPath);
  const store = environmentBuildStore(options.db);
  const dockerfile = generateDockerfile({ baseImage: properties.base_image, projectUuid: options.projectUuid, environmentUuid: options.environmentUuid });
  const build = store.begin(options.projectUuid, options.environmentUuid);
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    options.onLog?.(line);
  };
  const label = `environment "${properties.name}" (${options.environmentUuid}) of project ${options.projectUuid}`;
  log(`berth: building ${build.image} from ${properties.base_image}`);

  let failure: string | undefined;
  try {
    const context = await buildContext(options.projectDir, setupScript, dockerfile);
    const stream = await client.stream('POST', '/build', {
      query: { t: build.image, dockerfile: DOCKERFILE_PATH, rm: 1, forcerm: 1 },
      body: context,
      headers: { 'Content-Type': 'application/x-tar' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let partial = '';
    await readProgress(stream, (message) => {
      if (message.error !== undefined) {
        failure = (message.errorDetail?.message ?? message.error).trim();
        return;
      }
      const text = message.stream ?? (message.status ? `${message.status}\n` : undefined);
      if (text === undefined) return;
      // Build output arrives in arbitrary pieces; only whole lines are logged.
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) log(part.replace(/\r$/, ''));
    });
    if (partial) log(partial);
    if (failure === undefined && !(await imageExists(client, build.image))) failure = 'the engine finished without an error, but the image is not there';
  } catch (cause) {
    if (options.signal?.aborted) {
      log('berth: build cancelled');
      store.finish(build, 'cancelled', lines.join('\n'), 'cancelled');
      throw new EnvironmentError('BERTH_ENV_BUILD_CANCELLED', `build ${build.number} of ${label} was cancelled`, { cause });
    }
    failure = engineStatus(cause) === undefined ? (cause as Error).message : ((cause as { details?: { engineMessage?: string } }).details?.engineMessage ?? (cause as Error).message);
    log(`berth: ${failure}`);
    store.finish(build, 'failed', lines.join('\n'), failure);
    throw buildFailed(build, label, failure, lines, cause);
  }
  if (failure !== undefined) {
    log(`berth: ${failure}`);
    store.finish(build, 'failed', lines.join('\n'), failure);
    throw buildFailed(build, label, failure, lines);
  }
  log(`berth: built ${build.image}`);
  return store.finish(build, 'succeeded', lines.join('\n'));
}

function buildFailed(build: EnvironmentBuild, label: string, reason: string, lines: string[], cause?: unknown): EnvironmentError {
  const tail = lines.filter((l) => l.trim() !== '').slice(-LAST_LINES).join('\n');
  return new EnvironmentError('BERTH_ENV_BUILD_FAILED', `build ${build.number} of ${label} failed: ${reason}\nlast lines of the build log:\n${tail}`, {
    cause,
    hint: 'fix the setup script (or the base image) and build again; the previous successful image stays in use',
    details: { number: build.number, image: build.image, reason },
  });
}
