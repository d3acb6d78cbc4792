/** @module environments: environment definitions in the project (Orchest layout) and their image builds. */
export { EnvironmentError, ENVIRONMENT_CODES, type EnvironmentCode } from './errors.ts';
export {
  listEnvironments,
  getEnvironment,
  createEnvironment,
  updateEnvironment,
  deleteEnvironment,
  validateProperties,
  validateSetupScript,
  environmentDir,
  DEFAULT_SETUP_SCRIPT,
  type Environment,
  type EnvironmentInput,
  type EnvironmentProperties,
} from './definitions.ts';
export { buildEnvironment, type BuildEnvironmentOptions } from './build.ts';
export { EnvironmentBuilds, type EnvironmentBuildsOptions, type LiveBuild, type CancelResult } from './builds.ts';
export {
  environmentMigrations,
  environmentBuildStore,
  environmentImageName,
  resolveEnvironmentImage,
  type EnvironmentBuild,
  type EnvironmentBuildStore,
  type BuildStatus,
} from './store.ts';
export { generateDockerfile, contextFiles } from './context.ts';
export { createTar, type TarEntry } from './tar.ts';
