/** @module runtime/docker: services as containers through the Docker Engine API (Docker or Podman's compatible socket). */
export { createDockerRuntime, type DockerRuntimeOptions } from './runtime.ts';
export {
  createDockerClient,
  resolveSocketPath,
  socketPathFromDockerHost,
  engineStatus,
  DOCKER_API_VERSION,
  type DockerClient,
  type DockerRequest,
} from './client.ts';
export { ensureImage, imageExists, pullImage } from './images.ts';
export { createEngineImageBuilder } from './image-build.ts';
export { readProgress, createDemuxer, demuxAll, type ProgressMessage, type Frame } from './streams.ts';
export { containerName, networkName, createContainerBody, envList } from './container-spec.ts';
