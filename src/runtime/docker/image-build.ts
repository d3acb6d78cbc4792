/**
 * Environment builds through the Engine API (`POST /build`, Docker or Podman): the context tar is
 * sent as the request body, the JSON-lines progress becomes the build log, and the image is
 * checked to exist afterwards (an engine can end a build without an error and without an image).
 */
import type { ImageBuilder, ImageBuildRequest } from '../types.ts';
import { RuntimeError } from '../errors.ts';
import { createDockerClient, engineStatus } from './client.ts';
import { imageExists } from './images.ts';
import { createLineSplitter, readProgress } from './streams.ts';

export function createEngineImageBuilder(socketPath: string): ImageBuilder {
  const client = createDockerClient(socketPath);
  return {
    description: `engine at unix://${socketPath}`,
    async build(request: ImageBuildRequest): Promise<{ image: string }> {
      const { tar, dockerfilePath } = await request.context();
      let failure: string | undefined;
      const lines = createLineSplitter(request.onLog);
      try {
        const stream = await client.stream('POST', '/build', {
          query: { t: request.tag, dockerfile: dockerfilePath, rm: 1, forcerm: 1 },
          body: tar,
          headers: { 'Content-Type': 'application/x-tar' },
          ...(request.signal ? { signal: request.signal } : {}),
        });
        await readProgress(stream, function onBuildProgress(message) {
          if (message.error !== undefined) failure = (message.errorDetail?.message ?? message.error).trim();
          else lines.push(message.stream ?? (message.status ? `${message.status}\n` : ''));
        });
      } catch (cause) {
        lines.flush();
        const engineMessage = engineStatus(cause) === undefined ? undefined : (cause as { details?: { engineMessage?: string } }).details?.engineMessage;
        throw new RuntimeError('BERTH_RUNTIME_BUILD_FAILED', { by: 'engine', reason: engineMessage ?? (cause as Error).message }, { cause });
      }
      lines.flush();
      if (failure === undefined && !(await imageExists(client, request.tag))) failure = 'the engine finished without an error, but the image is not there';
      if (failure !== undefined) throw new RuntimeError('BERTH_RUNTIME_BUILD_FAILED', { by: 'engine', reason: failure });
      return { image: request.tag };
    },
    async remove(image) {
      try {
        // Without force: an image a container still runs (a session pinned to it) answers 409 and stays.
        await client.json('DELETE', `/images/${encodeURIComponent(image)}`);
        return 'removed';
      } catch (error) {
        const status = engineStatus(error);
        if (status === 409) return 'in use';
        if (status === 404) return 'missing';
        throw error;
      }
    },
  };
}
