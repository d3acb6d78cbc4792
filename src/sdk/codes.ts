/**
 * The codes of the two clients, each declared once with its message and hint: the step SDK
 * (BERTH_SDK_*, raised inside a step or service) and the API client (BERTH_CLIENT_*, raised in the
 * CLI or a script). Neither is ever answered by the server; the status still says whose fix it is,
 * as everywhere else (and is the `status` of an ApiClientError with a client code).
 */
import { defineError, type ErrorCatalogue } from '../shared/index.ts';

/** The hint of every case where the SDK finds it is not running under Berth. */
const RUN_AS_STEP = 'run it as a pipeline step: `berth pipeline run PROJECT PIPELINE` or `berth job run JOB`';

/** `: <the server's message>`, when its answer had one: the server's own words, passed through. */
const said = (serverMessage: string | undefined): string => (serverMessage ? `: ${serverMessage}` : '');

export const SDK_CODES = {
  BERTH_SDK_SERVICE_NOT_FOUND: defineError({
    status: 404,
    summary: 'the session has no service with this name',
    // Orchest's words (its get_service raises the same), so steps ported from Orchest match on them.
    message: ({ service }: { service: string; services: readonly string[] }) => `Could not find service with name ${service}`,
    hint: ({ services }) => `services of this session: ${services.join(', ') || '(none)'}`,
  }),
  BERTH_SDK_STEP_UNKNOWN: defineError({
    status: 404,
    summary: 'the step running this code is not in the pipeline, or ORCHEST_STEP_UUID is unset',
    /** `stepUuid`: ORCHEST_STEP_UUID, when it is set but names no step of the pipeline. */
    message: ({ stepUuid }: { stepUuid?: string }) =>
      stepUuid === undefined ? 'Parameters could not be identified: ORCHEST_STEP_UUID is not set' : `Step does not exist in the pipeline with UUID: ${stepUuid}.`,
    hint: () => 'the current step is only known when Berth runs this code as a step',
  }),
  BERTH_SDK_PIPELINE_NOT_FOUND: defineError({
    status: 404,
    summary: 'the pipeline file ORCHEST_PIPELINE_PATH names does not exist',
    message: ({ path }: { path: string }) => `The pipeline file ${path} (ORCHEST_PIPELINE_PATH) does not exist`,
  }),
  BERTH_SDK_PIPELINE_INVALID: defineError({
    status: 422,
    summary: 'the pipeline file ORCHEST_PIPELINE_PATH names is not valid JSON',
    message: ({ path }: { path: string }) => `The pipeline file ${path} is not valid JSON`,
  }),
  BERTH_SDK_NO_SESSION: defineError({
    status: 409,
    summary: 'this code is not running as a step or service of a Berth session or job run',
    /** `unset`: the variable Berth sets for its steps that is missing; `sessionType`: ORCHEST_SESSION_TYPE when it is set to something else. */
    message: (facts: { unset: 'ORCHEST_SESSION_TYPE' | 'ORCHEST_PIPELINE_PATH' | 'ORCHEST_SESSION_UUID' } | { sessionType: string }) =>
      'sessionType' in facts ? `ORCHEST_SESSION_TYPE is "${facts.sessionType}", expected "interactive" or "noninteractive"`
      : facts.unset === 'ORCHEST_SESSION_UUID' ? 'ORCHEST_SESSION_UUID is not set: this code is not running in a Berth session'
      : `${facts.unset} is not set: this code is not running as a step of a Berth session or job run`,
    hint: () => RUN_AS_STEP,
  }),
  BERTH_SDK_NO_API: defineError({
    status: 500,
    summary: 'BERTH_API_URL is not set, so the SDK cannot ask the server',
    message: () => 'BERTH_API_URL is not set, so the Berth API cannot be asked about this session',
    hint: () => 'run this code as a step of a Berth session (`berth pipeline run`)',
  }),
  BERTH_SDK_SESSION_NOT_FOUND: defineError({
    status: 404,
    summary: 'the server has no session with the uuid the step was given',
    /** `serverMessage`: the message of the server's answer, if it had one. */
    message: ({ url, serverMessage }: { url: string; serverMessage?: string | undefined }) => `The Berth server has no session at ${url}${said(serverMessage)}`,
    hint: () => 'the session may have been stopped; start it again with `berth session start`',
  }),
  BERTH_SDK_FORBIDDEN: defineError({
    status: 403,
    summary: "the server refused the step's session token (missing, or its session stopped)",
    message: ({ url, status, serverMessage }: { url: string; status: number; serverMessage?: string | undefined }) =>
      `The Berth server refused the request to ${url} (${status}${said(serverMessage)})`,
    hint: () => 'BERTH_SESSION_TOKEN is missing or no longer valid (tokens end when their session stops)',
  }),
  BERTH_SDK_UNREACHABLE: defineError({
    status: 503,
    summary: 'the Berth server does not answer at BERTH_API_URL',
    message: ({ url }: { url: string }) => `Failed to fetch data from ${url}: the Berth server is unreachable`,
    hint: () => 'check that `berth serve` is running and that BERTH_API_URL points at it',
  }),
  BERTH_SDK_HTTP: defineError({
    status: 502,
    summary: 'the server answered the SDK with an unexpected status',
    message: ({ url, status, serverMessage }: { url: string; status: number; serverMessage?: string | undefined }) =>
      `Failed to fetch data from ${url}: the server answered ${status}${said(serverMessage)}`,
  }),
} as const satisfies ErrorCatalogue;

export type SdkCode = keyof typeof SDK_CODES;

export const CLIENT_CODES = {
  BERTH_CLIENT_UNREACHABLE: defineError({
    status: 503,
    summary: 'the Berth server does not answer at the URL the client uses',
    /** `command: 'login'`: the user typed the URL (`berth login URL`), rather than the client taking it from --url, BERTH_URL or a saved login. */
    message: ({ url }: { url: string; command?: 'login' }) => `cannot reach the Berth server at ${url}`,
    hint: ({ command }) =>
      command === 'login'
        ? 'check the URL, and that `berth serve` is running there'
        : 'start it with `berth serve` (or `npm start`), or point --url / BERTH_URL at a running server',
  }),
  BERTH_CLIENT_HTTP: defineError({
    status: 502,
    summary: "the server answered with an error but without Berth's error body (a proxy in between, an old server)",
    // Only for an answer with no message at all: one with a message (a proxy's text page) passes it through (ApiClientError.fromAnswer).
    message: ({ method, path, status }: { method: string; path: string; status: number }) => `${method} ${path} answered ${status}`,
  }),
  BERTH_CLIENT_URL_INVALID: defineError({
    status: 400,
    summary: 'a server URL (--url, BERTH_URL, a saved login) is not an http(s) URL',
    /** `where`: where the URL was given (`--url`, `BERTH_URL`, …); `protocol`: its scheme, when it parses as a URL of another kind. */
    message: ({ where, url, protocol }: { where: string; url: string; protocol?: string }) =>
      protocol === undefined ? `${where}: ${JSON.stringify(url)} is not a URL` : `${where}: ${url} is not an http(s) URL`,
    hint: ({ protocol }) => (protocol === undefined ? 'give the full address, e.g. http://127.0.0.1:8765' : 'e.g. https://berth.example.com'),
  }),
  BERTH_CLIENT_CREDENTIALS: defineError({
    status: 500,
    summary: 'the saved credentials file cannot be read or written, or is readable by other users',
    /** What went wrong with the file at `path`: saving or reading it failed, it is no credentials file, or others can read it (`mode`). */
    message: (facts: { path: string; failed: 'save' | 'read' | 'parse'; reason: string } | { path: string; mode: number }) =>
      'mode' in facts ? `${facts.path} is readable by other users (mode ${facts.mode.toString(8)}), so its tokens may have leaked`
      : facts.failed === 'save' ? `cannot save credentials to ${facts.path}: ${facts.reason}`
      : facts.failed === 'read' ? `cannot read ${facts.path}: ${facts.reason}`
      : `${facts.path} is not a Berth credentials file: ${facts.reason}`,
    hint: (facts) =>
      'mode' in facts ? `run \`chmod 600 ${facts.path}\`, and if others could really read it, \`berth login\` again and revoke the old token`
      : facts.failed === 'save' ? 'check that the config directory (XDG_CONFIG_HOME or ~/.config) is writable'
      : facts.failed === 'read' ? 'check that it is a file you can read'
      : 'delete it and run `berth login <server-url>` again',
  }),
} as const satisfies ErrorCatalogue;

export type ClientCode = keyof typeof CLIENT_CODES;
