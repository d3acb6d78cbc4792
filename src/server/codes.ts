/**
 * The HTTP API layer's codes (BERTH_API_*), each declared once with its status, cause, message and
 * hint; throw sites pass the facts (src/shared/errors.ts).
 */
import { defineError, type ErrorCatalogue } from '../shared/index.ts';
import type { ShapeProblem } from './request-shape.ts';

/** The hint of every request whose params, query or body fail the route's schema (the auth routes' too). */
export const SHAPE_HINT = 'GET /api/openapi.json describes the params, query and body every route takes';

/** The problems of such a request in one line: `body.spec must be object; querystring.tail must be string`. */
export function shapeMessage(problems: readonly ShapeProblem[]): string {
  return problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');
}

/**
 * What a request of the wrong shape gets wrong, one variant per message: the fields its route's
 * schema refused, a body without what the route needs beyond its schema, or Fastify's own words
 * (a bad URL escape, broken JSON), passed through because only Fastify knows what it refused.
 */
type BadRequest =
  | { problems: readonly ShapeProblem[] }
  | { needs: 'project-and-pipeline'; example: string }
  | { needs: 'path-or-starter'; starters: readonly string[] }
  | { needs: 'spec-and-content' | 'spec' | 'value' }
  | { framework: string };

const BODY_NEEDS = {
  'project-and-pipeline': 'body needs "project" and "pipeline"',
  'path-or-starter': 'body needs "path" (an existing directory) or "name" and "starter"',
  'spec-and-content': 'body needs "spec" (the pipeline object) and "expectedContent" (the file text you read)',
  spec: 'body needs "spec" (the pipeline object to check)',
  value: 'body needs a string "value"',
} as const;

/** Why a directory may not be a project (project-roots.ts decides). */
export type ForbiddenRoot =
  | { dir: string; reason: 'system-directory' | 'inside-system-directory'; allowedRoots?: readonly string[] }
  | { dir: string; reason: 'data-directory'; dataDir: string; allowedRoots?: readonly string[] }
  | { dir: string; reason: 'outside-roots'; allowedRoots: readonly string[] };

function forbiddenBecause(facts: ForbiddenRoot): string {
  switch (facts.reason) {
    case 'system-directory':
      return `${facts.dir} is a system directory`;
    case 'inside-system-directory':
      return `${facts.dir} is a system directory or lies inside one`;
    case 'data-directory':
      return `${facts.dir} holds Berth's data directory (${facts.dataDir}) or lies inside it`;
    case 'outside-roots':
      return `${facts.dir} is outside the allowed project roots (${facts.allowedRoots.join(', ')})`;
  }
}

export const API_CODES = {
  BERTH_API_BAD_REQUEST: defineError({
    status: 400,
    summary: 'the request body, URL or Content-Type does not have the shape the route takes',
    message: (facts: BadRequest) => ('problems' in facts ? shapeMessage(facts.problems) : 'framework' in facts ? facts.framework : BODY_NEEDS[facts.needs]),
    hint: (facts) => {
      if ('problems' in facts) return SHAPE_HINT;
      if ('framework' in facts) return 'check the URL escapes, the JSON and the Content-Type of the request (API bodies are JSON: "Content-Type: application/json")';
      switch (facts.needs) {
        case 'project-and-pipeline':
          return `e.g. ${facts.example}`;
        case 'path-or-starter':
          return `{"path": "/home/me/project"} or {"name": "analysis", "starter": "${facts.starters.join('" | "')}"}`;
        case 'spec-and-content':
          return 'GET the pipeline first; send its "content" back as "expectedContent"';
        default:
          return undefined;
      }
    },
  }),
  BERTH_API_BAD_NUMBER: defineError({
    status: 400,
    summary: 'a number in the URL (path or query) is not a plain decimal number',
    /** `parameter`: the query parameter it was given as; none for a build number in the path. */
    message: ({ text, parameter }: { text: string; parameter?: string }) =>
      parameter === undefined ? `build number ${JSON.stringify(text)} is not a plain decimal number` : `?${parameter}=${JSON.stringify(text).slice(1, -1)} is not a plain decimal number`,
    hint: ({ parameter }) => (parameter === undefined ? 'use the "number" that the builds list shows, e.g. …/builds/3' : `give ${parameter} as digits only, e.g. ?${parameter}=100`),
  }),
  BERTH_API_BAD_TARGET: defineError({
    status: 400,
    summary: 'the request target is not a URL path a route can mean (a "#", bytes outside printable ASCII)',
    message: ({ target }: { target: string }) => `the request target ${JSON.stringify(target.slice(0, 200))} is not a valid URL path`,
    hint: () => 'percent-encode the path (a "#" is %23; browsers never send the fragment)',
  }),
  BERTH_API_BODY_TIMEOUT: defineError({
    status: 408,
    summary: 'a request without a sign-in did not send its whole body within the deadline',
    message: ({ timeoutMs }: { timeoutMs: number }) => `the request body did not arrive within ${timeoutMs / 1000} s`,
    hint: () => 'send the whole body at once; requests without a sign-in have a short body deadline',
  }),
  BERTH_API_BODY_TOO_LARGE: defineError({
    status: 413,
    summary: 'the request body is larger than the route accepts',
    /** `reason`: Fastify's words, which name the limit. */
    message: ({ reason }: { reason: string }) => `the request body is too large: ${reason}`,
    hint: () => 'API bodies are small JSON documents; put large data in project files instead',
  }),
  BERTH_API_MEDIA_TYPE_UNSUPPORTED: defineError({
    status: 415,
    summary: "the request body's Content-Type is not one the route parses",
    /** `reason`: Fastify's words, which name the type. */
    message: ({ reason }: { reason: string }) => `the request body's Content-Type is not accepted here: ${reason}`,
    hint: () => 'send JSON with "Content-Type: application/json"',
  }),
  BERTH_API_NOT_FOUND: defineError({
    status: 404,
    summary: 'no API route has this method and path',
    message: ({ method, path }: { method: string; path: string }) => `no route ${method} ${path}`,
    hint: () => 'see /api/health',
  }),
  BERTH_API_PROJECT_NOT_FOUND: defineError({
    status: 404,
    summary: 'no registered project has this name or uuid',
    message: ({ ref }: { ref: string; known: readonly string[] }) => `no project "${ref}"`,
    hint: ({ known }) => (known.length ? `registered projects: ${known.join(', ')}` : 'register one with `berth project add DIR`'),
  }),
  BERTH_API_PIPELINE_NOT_FOUND: defineError({
    status: 404,
    summary: 'the project has no pipeline file with this path or uuid',
    message: ({ project, ref }: { project: string; ref: string; pipelines: readonly string[] }) => `project "${project}" has no pipeline "${ref}"`,
    hint: ({ pipelines }) => (pipelines.length ? `pipelines: ${pipelines.join(', ')}` : 'the project has no .orchest files'),
  }),
  BERTH_API_ENV_NOT_FOUND: defineError({
    status: 404,
    summary: 'no env var with this name is set on the project or pipeline',
    message: ({ name }: { name: string }) => `no env var "${name}" is set there`,
  }),
  BERTH_API_BUILD_NOT_FOUND: defineError({
    status: 404,
    summary: 'the environment has no build with this number',
    /** `number`: as the URL gave it, or as parsed. */
    message: ({ environmentUuid, number }: { environmentUuid: string; number: number | string }) => `environment ${environmentUuid} has no build ${number}`,
  }),
  BERTH_API_BUILD_NOT_RUNNING: defineError({
    status: 409,
    summary: 'the build has already ended, so it cannot be cancelled',
    message: ({ environmentUuid, number }: { environmentUuid: string; number: number }) => `build ${number} of environment ${environmentUuid} is not running`,
    hint: () => 'only a running build can be cancelled',
  }),
  BERTH_API_PROJECT_EXISTS: defineError({
    status: 409,
    summary: 'a project with this name or directory is already registered, or the directory exists',
    /**
     * `otherPath` / `otherName`: the registered project that has the name or directory, known when
     * a directory is added; none when a new project is created (its name is taken, or its directory
     * already exists on disk).
     */
    message: (facts: { clash: 'name'; name: string; otherPath?: string } | { clash: 'directory'; dir: string; otherName?: string }) =>
      facts.clash === 'name'
        ? `a project named "${facts.name}" already exists${facts.otherPath === undefined ? '' : ` (${facts.otherPath})`}`
        : facts.otherName === undefined
          ? `${facts.dir} already exists`
          : `${facts.dir} is already registered as project "${facts.otherName}"`,
    hint: (facts) =>
      facts.clash === 'name' && facts.otherPath === undefined
        ? 'choose another name'
        : facts.clash === 'directory' && facts.otherName === undefined
          ? `register it with \`berth project add ${facts.dir}\`, or choose another name`
          : 'choose another name with --name, or remove the other project first',
  }),
  BERTH_API_PROJECT_PATH_FORBIDDEN: defineError({
    status: 403,
    summary: 'the directory lies outside the project roots this server may register projects from',
    message: (facts: ForbiddenRoot) => `cannot register ${facts.dir} as a project: ${forbiddenBecause(facts)}`,
    hint: ({ allowedRoots }) =>
      allowedRoots?.length
        ? 'register a directory inside an allowed root, or start Berth with another --project-root'
        : 'register the directory that holds the project\'s files (e.g. ~/work/analysis), not a system directory',
  }),
  BERTH_API_PROJECT_PATH_INVALID: defineError({
    status: 422,
    summary: 'the project path is not an existing directory',
    message: ({ path }: { path: string }) => `project path ${path} is not a directory`,
    hint: () => 'give the path of an existing project directory',
  }),
  BERTH_API_PROJECT_NAME_INVALID: defineError({
    status: 422,
    summary: 'the project name is not a valid directory name for a project',
    /** `on`: creating a project (the name was given) or adding a directory (the name may be its basename, --name overrides it). */
    message: ({ name }: { name: string; on: 'create' | 'add' }) => `project name "${name}" is not valid`,
    hint: ({ on }) => `use letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit${on === 'add' ? '; pass --name' : ''}`,
  }),
  BERTH_API_STARTER_INVALID: defineError({
    status: 422,
    summary: 'there is no project starter with this name',
    message: ({ starter }: { starter: string; starters: readonly string[] }) => `there is no starter "${starter}"`,
    hint: ({ starters }) => `starters: ${starters.join(', ')}`,
  }),
  BERTH_API_ENV_NAME_INVALID: defineError({
    status: 422,
    summary: 'the env var name is not a valid environment variable name',
    message: ({ name }: { name: string }) => `env var name "${name}" is not valid`,
    hint: () => 'use letters, digits, "-" and "_" only (Orchest\'s rule)',
  }),
  BERTH_API_PIPELINE_INVALID: defineError({
    status: 422,
    summary: 'the pipeline file has errors, so it cannot be used for this request (details: diagnostics)',
    /** `file`: relative to the project, as the API names pipelines; `fullPath`: for the `berth validate` in the hint. */
    message: ({ file, errors }: { file: string; fullPath: string; errors: readonly { path: string; message: string }[] }) =>
      `${file} has ${errors.length} error(s):\n${errors.map((d) => `  ${d.path || '(file)'}: ${d.message}`).join('\n')}`,
    hint: ({ fullPath }) => `fix them, then try again; \`berth validate ${fullPath}\` lists them`,
  }),
  BERTH_API_NO_ENGINE: defineError({
    status: 503,
    summary: 'the request needs a container engine (Docker or Podman) and none answers',
    /** `sockets`: where the server looked for an engine at start-up; none when a build asked for one. */
    message: ({ sockets }: { sockets?: readonly string[] }) =>
      sockets === undefined ? 'building an environment needs a container engine, and none answers' : `no container engine answers at ${sockets.map((s) => `unix://${s}`).join(', ')}`,
    hint: ({ sockets }) =>
      sockets === undefined
        ? 'start Docker or `podman system service` (or set DOCKER_HOST), then build again'
        : 'start Docker or `podman system service`, set DOCKER_HOST / --docker-host, or use --runtime local',
  }),
  BERTH_API_PROJECT_ROOT_INVALID: defineError({
    status: 500,
    summary: 'a --project-root given to the server is not an existing directory (a start-up setting)',
    message: ({ root }: { root: string }) => `--project-root ${root} is not an existing directory`,
    hint: () => 'give an existing directory, e.g. --project-root ~/work',
  }),
  BERTH_API_SERVICE_DOMAIN_INVALID: defineError({
    status: 500,
    summary: 'the --service-domain (BERTH_SERVICE_DOMAIN) given to the server is not a domain name (a start-up setting)',
    message: ({ option }: { option: string }) => `--service-domain ${JSON.stringify(option)} is not a domain name`,
    hint: () => 'give a domain whose every subdomain reaches Berth (e.g. berth.example.com with a DNS record for *.berth.example.com), localhost, or off',
  }),
} as const satisfies ErrorCatalogue;

export type ApiCode = keyof typeof API_CODES;
