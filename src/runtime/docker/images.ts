/**
 * Image presence and pulls. A locally present image is never pulled (machines often reach no
 * registry, and a pinned environment image only exists locally). Short names differ between
 * engines: Podman resolves `redis:7` to `localhost/redis:7` in local storage, Docker to
 * `docker.io/library/redis:7`; so `localhost/<name>` is tried too before pulling.
 */
import type { DockerClient } from './client.ts';
import { engineStatus } from './client.ts';
import { readProgress } from './streams.ts';
import { RuntimeError } from '../errors.ts';

/** True when the engine has the image (GET /images/{name}/json answers 200). */
export async function imageExists(client: DockerClient, image: string): Promise<boolean> {
  try {
    await client.json('GET', `/images/${encodeImagePath(image)}/json`);
    return true;
  } catch (error) {
    if (engineStatus(error) === 404) return false;
    throw error;
  }
}

/** Candidate local names for a reference, in the order they are looked up. */
export function localCandidates(image: string): string[] {
  const candidates = [image];
  if (!hasRegistry(image)) candidates.push(`localhost/${image}`);
  return candidates;
}

/**
 * The reference to create the container from: a present local image (as given, or `localhost/…`),
 * else the image after a successful pull. A failed pull throws BERTH_RUNTIME_IMAGE_PULL at once.
 */
export async function ensureImage(client: DockerClient, image: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<string> {
  for (const candidate of localCandidates(image)) {
    if (await imageExists(client, candidate)) return candidate;
  }
  await pullImage(client, image, onProgress, signal);
  return image;
}

export async function pullImage(client: DockerClient, image: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const { name, tag } = splitReference(image);
  onProgress?.(`pulling image ${image}`);
  let failure: string | undefined;
  try {
    const stream = await client.stream('POST', '/images/create', { query: { fromImage: name, tag }, signal });
    await readProgress(stream, (message) => {
      if (message.error) failure = message.errorDetail?.message ?? message.error;
      else if (message.status) onProgress?.([message.id, message.status, message.progress].filter(Boolean).join(' '));
    });
  } catch (cause) {
    if (cause instanceof RuntimeError && cause.code === 'BERTH_RUNTIME_ENGINE') {
      const details = cause.details as { engineMessage?: string };
      throw pullError(image, details.engineMessage ?? cause.message, cause);
    }
    throw cause;
  }
  if (failure !== undefined) throw pullError(image, failure);
  // Defensive: a stream that ends without an error message must still have produced the image.
  if (!(await imageExists(client, image))) throw pullError(image, 'the engine reported no error, but the image is not present after the pull');
}

function pullError(image: string, reason: string, cause?: unknown): RuntimeError {
  return new RuntimeError('BERTH_RUNTIME_IMAGE_PULL', { image, reason }, { cause, details: { image, reason } });
}

/** `localhost/redis:7` -> { name: 'localhost/redis', tag: '7' }; digests stay in the name. */
export function splitReference(image: string): { name: string; tag: string | undefined } {
  if (image.includes('@')) return { name: image, tag: undefined };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { name: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { name: image, tag: 'latest' };
}

/** The first path component names a registry when it has a dot or a port, or is `localhost`. */
function hasRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first === 'localhost' || first.includes('.') || first.includes(':');
}

/** Image names keep their slashes in the path (the engines route `/images/{name}/json` greedily). */
function encodeImagePath(image: string): string {
  return image.split('/').map(encodeURIComponent).join('/');
}
