/**
 * The codes of the two clients, each declared once: the step SDK (BERTH_SDK_*, raised inside a
 * step or service) and the API client (BERTH_CLIENT_*, raised in the CLI or a script). Neither is
 * ever answered by the server; the status still says whose fix it is, as everywhere else.
 */
import type { ErrorCatalogue } from '../shared/index.ts';

export const SDK_CODES = {
  BERTH_SDK_SERVICE_NOT_FOUND: { status: 404, summary: 'the session has no service with this name' },
  BERTH_SDK_STEP_UNKNOWN: { status: 404, summary: 'the step running this code is not in the pipeline, or ORCHEST_STEP_UUID is unset' },
  BERTH_SDK_PIPELINE_NOT_FOUND: { status: 404, summary: 'the pipeline file ORCHEST_PIPELINE_PATH names does not exist' },
  BERTH_SDK_PIPELINE_INVALID: { status: 422, summary: 'the pipeline file ORCHEST_PIPELINE_PATH names is not valid JSON' },
  BERTH_SDK_NO_SESSION: { status: 409, summary: 'this code is not running as a step or service of a Berth session or job run' },
  BERTH_SDK_NO_API: { status: 500, summary: 'BERTH_API_URL is not set, so the SDK cannot ask the server' },
  BERTH_SDK_SESSION_NOT_FOUND: { status: 404, summary: 'the server has no session with the uuid the step was given' },
  BERTH_SDK_FORBIDDEN: { status: 403, summary: "the server refused the step's session token (missing, or its session stopped)" },
  BERTH_SDK_UNREACHABLE: { status: 503, summary: 'the Berth server does not answer at BERTH_API_URL' },
  BERTH_SDK_HTTP: { status: 502, summary: 'the server answered the SDK with an unexpected status' },
} as const satisfies ErrorCatalogue;

export type SdkCode = keyof typeof SDK_CODES;

export const CLIENT_CODES = {
  BERTH_CLIENT_UNREACHABLE: { status: 503, summary: 'the Berth server does not answer at the URL the client uses' },
  BERTH_CLIENT_HTTP: { status: 502, summary: "the server answered with an error but without Berth's error body (a proxy in between, an old server)" },
  BERTH_CLIENT_URL_INVALID: { status: 400, summary: 'a server URL (--url, BERTH_URL, a saved login) is not an http(s) URL' },
  BERTH_CLIENT_CREDENTIALS: { status: 500, summary: 'the saved credentials file cannot be read or written, or is readable by other users' },
} as const satisfies ErrorCatalogue;

export type ClientCode = keyof typeof CLIENT_CODES;
