/**
 * The catalogue of validation messages: one entry per diagnostic code, each saying what is wrong at
 * which field and what would be valid. Both zod issues and the cross-field checks go through it.
 */
import { describeValue, showValue } from './path.ts';
import { RESERVED_SERVICE_NAMES } from './schema.ts';

export interface MessageContext {
  /** Formatted field path, e.g. `services.redis.ports[0]`. */
  path: string;
  /** The offending value as found in the file. */
  value: unknown;
  /** Extra facts some messages need (other service name, cycle, …). */
  extra?: string;
}

export interface DiagnosticEntry {
  message(ctx: MessageContext): string;
  hint(ctx: MessageContext): string;
}

const reserved = RESERVED_SERVICE_NAMES.join(', ');

/** By code; `satisfies` keeps the codes literal, so ./codes.ts can name the ones a SpecError throws. */
export const MESSAGES = {
  BERTH_SPEC_REQUIRED: {
    message: ({ path }) => `${path} is missing`,
    hint: ({ extra }) => `add ${extra ?? 'the field'}`,
  },
  BERTH_SPEC_TYPE: {
    message: ({ path, value, extra }) => `${path} must be ${extra ?? 'another type'}, not ${describeValue(value)}`,
    hint: ({ extra }) => (extra === 'a boolean' ? 'write true or false, without quotes' : `write ${extra ?? 'a value of the right type'}`),
  },
  BERTH_SPEC_UNKNOWN_FIELD: {
    message: ({ path }) => `${path} is not a field Berth knows here`,
    hint: ({ extra }) => `valid fields: ${extra ?? ''}`,
  },
  BERTH_SPEC_NAME_INVALID: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a valid service name`,
    hint: () => 'a service name starts with a lowercase letter and has at most 26 characters, all lowercase letters, digits or dashes, e.g. "redis" or "web-2"',
  },
  BERTH_SPEC_NAME_TRAILING_DASH: {
    message: ({ path, value }) => `${path}: ${showValue(value)} ends with "-"`,
    hint: () => 'end the name with a letter or digit: it becomes a host name and a Kubernetes label',
  },
  BERTH_SPEC_NAME_RESERVED: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is a reserved service name`,
    hint: () => `choose another name; reserved: ${reserved}`,
  },
  BERTH_SPEC_NAME_KEY_MISMATCH: {
    message: ({ path, value, extra }) => `${path} is ${showValue(value)} but the service is listed under the key "${extra ?? ''}"`,
    hint: ({ extra }) => `make the key in "services" and "name" the same, e.g. both "${extra ?? ''}"`,
  },
  BERTH_SPEC_IMAGE_EMPTY: {
    message: ({ path }) => `${path} is empty`,
    hint: () => 'give an image reference such as "redis:7" or "environment@<environment uuid>"',
  },
  BERTH_SPEC_IMAGE_ENVIRONMENT: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a well-formed environment reference`,
    hint: () => 'write "environment@" followed by the environment uuid in lowercase, e.g. environment@0d6c7d2a-5f1e-4c3b-9a8d-1e2f3a4b5c6d',
  },
  BERTH_SPEC_SCOPE_EMPTY: {
    message: ({ path }) => `${path} is empty, so the service would never start`,
    hint: () => 'list at least one of "interactive", "noninteractive"',
  },
  BERTH_SPEC_SCOPE_INVALID: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a scope`,
    hint: () => 'use "interactive" (sessions) and/or "noninteractive" (job runs)',
  },
  BERTH_SPEC_PORTS_EMPTY: {
    message: ({ path }) => `${path} is empty`,
    hint: () => 'list at least one port the service listens on, e.g. [8080]',
  },
  BERTH_SPEC_PORT_TYPE: {
    message: ({ path, value }) => `${path} must be a whole number, not ${describeValue(value)}`,
    hint: () => 'write the port as a number without quotes, e.g. 6379',
  },
  BERTH_SPEC_PORT_RANGE: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is outside the port range`,
    hint: () => 'use a port from 1 to 65535',
  },
  BERTH_SPEC_PORT_DUPLICATE: {
    message: ({ path, value }) => `${path} repeats port ${String(value)}`,
    hint: () => 'list each port once',
  },
  BERTH_SPEC_PORT_SHARED_LOCAL: {
    message: ({ path, value, extra }) => `${path}: port ${String(value)} is also a port of service ${extra ?? 'another service'}: on the local runtime the services of a session share one network, where only one program can listen on a port`,
    hint: () => 'change one of the two ports, and the port its program listens on (command, args or env); the local runtime runs a session\'s services in one network (in host mode the host\'s), unlike Orchest, docker and kubernetes, where each service has its own address',
  },
  BERTH_SPEC_BIND_SOURCE: {
    message: ({ path }) => `${path} is not a bind source Berth can mount`,
    hint: () => 'the only bind sources are "/data" (the shared data directory) and "/project-dir" (the project)',
  },
  BERTH_SPEC_BIND_TARGET: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not an absolute path`,
    hint: () => 'give the mount path inside the service, starting with "/", e.g. "/data"',
  },
  BERTH_SPEC_BIND_OVERLAP: {
    message: ({ path, value, extra }) => `${path}: ${showValue(value)} overlaps the other bind target ${extra ?? ''}`,
    hint: () => 'mount /data and /project-dir at separate paths, neither inside the other',
  },
  BERTH_SPEC_BIND_TARGET_DOTS: {
    message: ({ path, value }) => `${path}: ${showValue(value)} climbs out with a ".." segment`,
    hint: () => 'give the mount path inside the service without ".." (e.g. "/data"); Berth mounts it under the service\'s own directory',
  },
  BERTH_SPEC_ENV_RESERVED: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is read by the shell that starts the service, so it could run code before it`,
    hint: () => 'rename the variable; BASH_ENV, ENV, SHELLOPTS and BASHOPTS are refused (see docs/security.md)',
  },
  BERTH_SPEC_ENV_TOO_LARGE: {
    message: ({ path, extra }) => `${path} is too large to pass to a process: ${extra ?? ''}`,
    hint: () => 'put large data in a file under /data or /project-dir and pass its path instead',
  },
  BERTH_SPEC_ARGS_TOO_LARGE: {
    message: ({ path, extra }) => `${path}: command and args together are too large to start a process: ${extra ?? ''}`,
    hint: () => 'put large data in a file under /data or /project-dir and pass its path in args instead',
  },
  BERTH_SPEC_NUL_BYTE: {
    message: ({ path, value }) => `${path}: ${showValue(value)} contains a NUL byte (\\u0000), which no file name, argument or variable can hold`,
    hint: () => 'remove the \\u0000 escape from the string',
  },
  BERTH_SPEC_TOO_DEEP: {
    message: ({ path, extra }) => `${path} nests objects and lists more than ${extra ?? ''} levels deep`,
    hint: () => 'flatten the value; no pipeline field needs that much nesting (the limit guards Berth against hostile files)',
  },
  BERTH_SPEC_TOO_MANY_SERVICES: {
    message: ({ path, extra }) => `${path} lists ${extra ?? 'too many services'}`,
    hint: () => 'split the services over several pipelines (every service is processes, ports and proxy routes of each session), or raise the limit with BERTH_MAX_SERVICES on the server',
  },
  BERTH_SPEC_FILE_TOO_LARGE: {
    message: ({ extra }) => `the file is too large: ${extra ?? ''}`,
    hint: () => 'pipeline files hold definitions, not data: move large parameters into files of the project',
  },
  BERTH_SPEC_ENV_NAME: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a valid environment variable name`,
    hint: () => 'use only letters, digits, "-" and "_", e.g. "API_TOKEN"',
  },
  BERTH_SPEC_ENV_NAME_KUBERNETES: {
    message: ({ path, value }) => `${path}: ${showValue(value)} starts with a digit, and the kubernetes runtime cannot set it (the API server refuses env names that do not match [-._a-zA-Z][-._a-zA-Z0-9]*)`,
    hint: () => 'rename the variable so that it starts with a letter or "_", e.g. "_1ST_KEY" or "KEY_1"',
  },
  BERTH_SPEC_ENV_VALUE: {
    message: ({ path, value }) => `${path} must be a string, not ${describeValue(value)}`,
    hint: () => 'quote the value, e.g. "6379" or "true"',
  },
  BERTH_SPEC_ORDER_DUPLICATE: {
    message: ({ path, value, extra }) => `${path}: ${String(value)} is also the order of service "${extra ?? ''}"`,
    hint: () => 'give every service its own order number (it sets the row order in the UI)',
  },
  BERTH_SPEC_DEPENDS_ON_UNKNOWN: {
    message: ({ path, value }) => `${path} names ${showValue(value)}, which is not a service of this pipeline`,
    hint: ({ extra }) => `name one of the pipeline's services: ${extra ?? '(none)'}`,
  },
  BERTH_SPEC_DEPENDS_ON_SELF: {
    message: ({ path }) => `${path}: a service cannot depend on itself`,
    hint: () => 'remove the service\'s own name from depends_on',
  },
  BERTH_SPEC_DEPENDS_ON_CYCLE: {
    message: ({ path, extra }) => `${path} makes a dependency cycle: ${extra ?? ''}`,
    hint: () => 'remove one of the depends_on entries in the cycle so that some service can start first',
  },
  BERTH_SPEC_READINESS_TYPE: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a readiness type`,
    hint: () => 'use one of "port", "http", "log", "command", "none"',
  },
  BERTH_SPEC_READINESS_PORT: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not one of the service's ports`,
    hint: ({ extra }) => `use one of the ports listed in "ports": ${extra ?? ''}`,
  },
  BERTH_SPEC_READINESS_PATH: {
    message: ({ path, value }) => `${path}: ${showValue(value)} does not start with "/"`,
    hint: () => 'give the HTTP path to probe, e.g. "/healthz"',
  },
  BERTH_SPEC_READINESS_STATUS: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not an HTTP status code`,
    hint: () => 'use codes from 100 to 599, e.g. [200, 204]',
  },
  BERTH_SPEC_READINESS_PATTERN: {
    message: ({ path, value, extra }) => `${path}: ${showValue(value)} is not a usable regular expression${extra ? `: ${extra}` : ''}`,
    hint: () => 'give a JavaScript regular expression that matches the log line printed when the service is ready, e.g. "ready to accept connections"',
  },
  BERTH_SPEC_READINESS_COMMAND: {
    message: ({ path }) => `${path} is empty`,
    hint: () => 'give the probe as an argv list, e.g. ["pg_isready", "-h", "127.0.0.1"]',
  },
  BERTH_SPEC_READINESS_TIMEOUT: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a positive number of seconds`,
    hint: () => 'use a number of seconds greater than 0 (default 60)',
  },
  BERTH_SPEC_VERSION_UNKNOWN: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is not a pipeline version Berth knows`,
    hint: () => 'Berth reads versions 1.0.0 to 1.2.3 (Orchest\'s last); check the file was not written by a newer tool',
  },
  BERTH_SPEC_VERSION_OLD: {
    message: ({ path, value }) => `${path}: ${showValue(value)} is an old pipeline version`,
    hint: () => 'load the file with Berth (it migrates in memory) or run `berth migrate FILE --yes` to rewrite it as 1.2.3',
  },
  BERTH_SPEC_JSON_SYNTAX: {
    message: ({ extra }) => `the file is not valid JSON: ${extra ?? ''}`,
    hint: () => 'fix the JSON at the line and column shown (a missing comma or quote, or a trailing comma, is the usual cause)',
  },
  BERTH_SPEC_FIELD_TYPO: {
    message: ({ path, extra }) => `${path} is not a service field, so Berth ignores it; did you mean "${extra ?? ''}"?`,
    hint: ({ extra }) => `rename it to "${extra ?? ''}" (unknown fields are kept in the file but have no effect)`,
  },
  BERTH_SPEC_COMMAND_SPACES: {
    message: ({ path, value }) => `${path}: ${showValue(value)} contains spaces, but it is run as one executable name (never split)`,
    hint: () => 'put only the executable in "command" and the rest in "args", e.g. command "bash", args "-c \'…\'" (see orchest/orchest#1098)',
  },
  BERTH_SPEC_PUBLIC_SERVICE: {
    message: ({ path }) => `${path} is false on an exposed service: anyone who can reach Berth can use it without logging in`,
    hint: () => 'remove "requires_authentication": false unless the service must be public, or set "exposed": false',
  },
  BERTH_SPEC_SECRET_IN_ENV: {
    message: ({ path }) => `${path} looks like a secret, and env_variables are versioned with the pipeline file`,
    hint: ({ extra }) => `define ${extra ?? 'it'} as a project or pipeline environment variable and list it in "env_variables_inherit" instead`,
  },
} satisfies Record<string, DiagnosticEntry>;

/** The entries by any code (a zod issue's or a check's), which may have none. */
const ENTRIES: Readonly<Partial<Record<string, DiagnosticEntry>>> = MESSAGES;

export function messageFor(code: string, ctx: MessageContext): { message: string; hint: string } {
  const entry = ENTRIES[code];
  if (!entry) return { message: `${ctx.path}: ${code}`, hint: 'see docs/pipeline-file.md' };
  return { message: entry.message(ctx), hint: entry.hint(ctx) };
}
