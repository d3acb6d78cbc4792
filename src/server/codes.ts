/** The HTTP API layer's codes (BERTH_API_*), each declared once with its status and cause. */
import type { ErrorCatalogue } from '../shared/index.ts';

export const API_CODES = {
  BERTH_API_BAD_REQUEST: { status: 400, summary: 'the request body, URL or Content-Type does not have the shape the route takes' },
  BERTH_API_BAD_NUMBER: { status: 400, summary: 'a number in the URL (path or query) is not a plain decimal number' },
  BERTH_API_BAD_TARGET: { status: 400, summary: 'the request target is not a URL path a route can mean (a "#", bytes outside printable ASCII)' },
  BERTH_API_BODY_TIMEOUT: { status: 408, summary: 'a request without a sign-in did not send its whole body within the deadline' },
  BERTH_API_BODY_TOO_LARGE: { status: 413, summary: 'the request body is larger than the route accepts' },
  BERTH_API_MEDIA_TYPE_UNSUPPORTED: { status: 415, summary: "the request body's Content-Type is not one the route parses" },
  BERTH_API_NOT_FOUND: { status: 404, summary: 'no API route has this method and path' },
  BERTH_API_PROJECT_NOT_FOUND: { status: 404, summary: 'no registered project has this name or uuid' },
  BERTH_API_PIPELINE_NOT_FOUND: { status: 404, summary: 'the project has no pipeline file with this path or uuid' },
  BERTH_API_ENV_NOT_FOUND: { status: 404, summary: 'no env var with this name is set on the project or pipeline' },
  BERTH_API_BUILD_NOT_FOUND: { status: 404, summary: 'the environment has no build with this number' },
  BERTH_API_BUILD_NOT_RUNNING: { status: 409, summary: 'the build has already ended, so it cannot be cancelled' },
  BERTH_API_PROJECT_EXISTS: { status: 409, summary: 'a project with this name or directory is already registered, or the directory exists' },
  BERTH_API_PROJECT_PATH_FORBIDDEN: { status: 403, summary: 'the directory lies outside the project roots this server may register projects from' },
  BERTH_API_PROJECT_PATH_INVALID: { status: 422, summary: 'the project path is not an existing directory' },
  BERTH_API_PROJECT_NAME_INVALID: { status: 422, summary: 'the project name is not a valid directory name for a project' },
  BERTH_API_STARTER_INVALID: { status: 422, summary: 'there is no project starter with this name' },
  BERTH_API_ENV_NAME_INVALID: { status: 422, summary: 'the env var name is not a valid environment variable name' },
  BERTH_API_PIPELINE_INVALID: { status: 422, summary: 'the pipeline file has errors, so it cannot be used for this request (details: diagnostics)' },
  BERTH_API_NO_ENGINE: { status: 503, summary: 'the request needs a container engine (Docker or Podman) and none answers' },
  BERTH_API_PROJECT_ROOT_INVALID: { status: 500, summary: 'a --project-root given to the server is not an existing directory (a start-up setting)' },
  BERTH_API_SERVICE_DOMAIN_INVALID: { status: 500, summary: 'the --service-domain (BERTH_SERVICE_DOMAIN) given to the server is not a domain name (a start-up setting)' },
} as const satisfies ErrorCatalogue;

export type ApiCode = keyof typeof API_CODES;
