import { BerthError, type ErrorCatalogue } from '../shared/index.ts';

/** The environments layer's codes (BERTH_ENV_*), each declared once with its status and cause. */
export const ENVIRONMENT_CODES = {
  BERTH_ENV_NOT_FOUND: { status: 404, summary: 'the project has no environment with this uuid' },
  BERTH_ENV_EXISTS: { status: 409, summary: 'an environment with this uuid already exists in the project' },
  BERTH_ENV_INVALID: { status: 422, summary: "an environment's uuid, properties.json or setup script is not valid" },
  BERTH_ENV_NOT_BUILT: { status: 409, summary: 'the environment has no successfully built image yet' },
  BERTH_ENV_BUILD_FAILED: { status: 422, summary: "an environment's image build failed (its setup script or base image; the log tail says why)" },
  BERTH_ENV_BUILD_CANCELLED: { status: 409, summary: "an environment's image build was cancelled" },
} as const satisfies ErrorCatalogue;

export type EnvironmentCode = keyof typeof ENVIRONMENT_CODES;

/** Errors of environments (definitions in the project, image builds): BERTH_ENV_* codes. */
export class EnvironmentError extends BerthError<EnvironmentCode> {}
