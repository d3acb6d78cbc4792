/**
 * Bounds on a pipeline file, checked before anything else looks at it: a hostile or broken file must
 * be refused by name (code and field path), never crash a recursive walker ("Maximum call stack size
 * exceeded"), hang the server with thousands of services, or fail later with raw OS errors (a NUL
 * byte in a path or argv, `spawn E2BIG` for oversized args or env). See docs/security.md.
 */
/** Largest pipeline file Berth reads. Orchest files are a few KiB; 1 MiB leaves room for big step graphs. */
export const MAX_PIPELINE_FILE_BYTES = 1024 * 1024;
/** Deepest nesting of objects and lists (the file itself is depth 1). */
export const MAX_NESTING_DEPTH = 64;
/** Services per pipeline: every service is processes, ports and proxy routes of one session. */
export const MAX_SERVICES = 200;

/**
 * The services limit in force: BERTH_MAX_SERVICES on the server raises (or lowers) it. Read through
 * globalThis because the web editor bundles this validator, where there is no process.
 */
export function maxServices(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raised = Number(env?.BERTH_MAX_SERVICES);
  return Number.isInteger(raised) && raised > 0 ? raised : MAX_SERVICES;
}
/** command + args of one service, in UTF-8 bytes: Linux refuses one argv string over 128 KiB. */
export const MAX_ARGS_BYTES = 128 * 1024;
/** One `NAME=value` entry of a service's env (same kernel limit as one argv string). */
export const MAX_ENV_ENTRY_BYTES = 128 * 1024;
/** All env_variables of one service together: argv and env share the kernel's ~2 MiB. */
export const MAX_ENV_TOTAL_BYTES = 512 * 1024;
/** At most this many NUL-byte findings are reported: one is enough to refuse the file. */
const MAX_NUL_FINDINGS = 20;

/**
 * Env names the host wrapper's shell would act on before the service runs (`BASH_ENV` and `ENV` name a
 * file it sources; `SHELLOPTS`/`BASHOPTS` switch on options such as xtrace, whose PS4 runs commands).
 */
export const SHELL_STARTUP_ENV_NAMES: readonly string[] = ['BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS'];

export interface LimitFinding {
  code: string;
  segments: PropertyKey[];
  extra?: string;
  value?: unknown;
}

/**
 * A place in the file while walking it. The path is kept as links to the parent and built only for a
 * finding: copying it at every node made the walks quadratic in depth and a fifth of a 1,000-service
 * file's checks.
 */
interface Place {
  value: unknown;
  depth: number;
  key: PropertyKey | undefined;
  parent: Place | undefined;
}

function pathOf(place: Place): PropertyKey[] {
  const segments: PropertyKey[] = [];
  for (let at: Place | undefined = place; at?.parent; at = at.parent) segments.push(at.key as PropertyKey);
  return segments.reverse();
}

/** The children of an object or list, in order; none for anything else. */
function childrenOf(value: unknown): Iterable<[PropertyKey, unknown]> {
  if (typeof value !== 'object' || value === null) return [];
  return Array.isArray(value) ? value.entries() : Object.entries(value);
}

/**
 * The first place where `root` nests deeper than MAX_NESTING_DEPTH, or undefined. Iterative, so the
 * check itself cannot overflow the stack whatever the depth.
 */
export function findTooDeep(root: unknown): PropertyKey[] | undefined {
  const stack: Place[] = [{ value: root, depth: 0, key: undefined, parent: undefined }];
  for (let place = stack.pop(); place; place = stack.pop()) {
    if (place.depth >= MAX_NESTING_DEPTH) return pathOf(place);
    for (const [key, value] of childrenOf(place.value)) {
      if (typeof value === 'object' && value !== null) stack.push({ value, depth: place.depth + 1, key, parent: place });
    }
  }
  return undefined;
}

/** Every string (value or key) holding a NUL byte: the OS cuts C strings there, so no path or argv may hold one. */
export function findNulBytes(root: unknown): LimitFinding[] {
  const findings: LimitFinding[] = [];
  const found = (segments: PropertyKey[], text: string): void => {
    findings.push({ code: 'BERTH_SPEC_NUL_BYTE', segments, value: text.replaceAll('\u0000', '\\0') });
  };
  const stack: Place[] = [{ value: root, depth: 0, key: undefined, parent: undefined }];
  for (let place = stack.pop(); place && findings.length < MAX_NUL_FINDINGS; place = stack.pop()) {
    if (typeof place.value === 'string') {
      if (place.value.includes('\u0000')) found(pathOf(place), place.value);
      continue;
    }
    // Pushed in reverse, so findings come out in the file's order.
    for (const [key, value] of [...childrenOf(place.value)].reverse()) {
      if (typeof key === 'string' && key.includes('\u0000')) found([...pathOf(place), key], key);
      else stack.push({ value, depth: place.depth + 1, key, parent: place });
    }
  }
  return findings;
}

// TextEncoder, not Buffer: the web editor bundles this validator and browsers have no Buffer.
const UTF8 = new TextEncoder();

export function utf8Bytes(text: string): number {
  return UTF8.encode(text).length;
}

function bytes(text: string): number {
  return utf8Bytes(text);
}

function kib(count: number): string {
  return `${Math.ceil(count / 1024)} KiB`;
}

/** Sizes of one service's argv and env against what the kernel accepts when Berth starts it. */
export function findOversizedService(key: string, service: Record<string, unknown>): LimitFinding[] {
  const findings: LimitFinding[] = [];
  const at = (...rest: PropertyKey[]): PropertyKey[] => ['services', key, ...rest];
  const argvBytes = (typeof service.command === 'string' ? bytes(service.command) : 0) + (typeof service.args === 'string' ? bytes(service.args) : 0);
  if (argvBytes > MAX_ARGS_BYTES) {
    findings.push({ code: 'BERTH_SPEC_ARGS_TOO_LARGE', segments: at(typeof service.args === 'string' ? 'args' : 'command'), extra: `${kib(argvBytes)} > ${kib(MAX_ARGS_BYTES)}`, value: undefined });
  }
  const env = service.env_variables;
  if (typeof env === 'object' && env !== null && !Array.isArray(env)) {
    let total = 0;
    for (const [name, value] of Object.entries(env)) {
      const entry = bytes(name) + 1 + (typeof value === 'string' ? bytes(value) : 0);
      total += entry + 1;
      if (entry > MAX_ENV_ENTRY_BYTES) {
        findings.push({ code: 'BERTH_SPEC_ENV_TOO_LARGE', segments: at('env_variables', name), extra: `${kib(entry)} > ${kib(MAX_ENV_ENTRY_BYTES)} for one variable`, value: undefined });
      }
    }
    if (total > MAX_ENV_TOTAL_BYTES) {
      findings.push({ code: 'BERTH_SPEC_ENV_TOO_LARGE', segments: at('env_variables'), extra: `${kib(total)} > ${kib(MAX_ENV_TOTAL_BYTES)} for all variables of the service`, value: undefined });
    }
  }
  return findings;
}

/** A bind target as the runtimes mount it: `//data/./x/` -> `/data/x`; undefined when it climbs with `..`. */
export function normaliseBindTarget(target: string): string | undefined {
  const parts: string[] = [];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return `/${parts.join('/')}`;
}
