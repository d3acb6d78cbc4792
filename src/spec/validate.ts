/**
 * Validation of a (migrated) pipeline: every problem at once, each with the field path, what is wrong
 * and what would be valid. Shape rules come from the zod schema; rules that relate fields to each other
 * (key == name, unique order, depends_on, readiness ports, …) are checked here on the same input.
 */
import type { z } from 'zod';
import { findNulBytes, findOversizedService, findTooDeep, MAX_NESTING_DEPTH, maxServices } from './limits.ts';
import { messageFor } from './messages.ts';
import { KNOWN_PIPELINE_VERSIONS } from './migrate.ts';
import { formatPath, valueAt } from './path.ts';
import { ENV_VAR_NAME_PATTERN, KUBERNETES_ENV_VAR_NAME_PATTERN, specSchemas } from './schema.ts';
import { CURRENT_PIPELINE_VERSION, type Diagnostic, type Severity } from './types.ts';

type Json = Record<string, unknown>;
type Segments = PropertyKey[];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class DiagnosticList {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private readonly ranks: number[] = [];

  constructor(
    private readonly file: string,
    readonly root: unknown,
  ) {}

  add(code: string, segments: Segments, options: { severity?: Severity; extra?: string; value?: unknown } = {}): void {
    const path = formatPath(segments);
    const key = `${code}\u0000${path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const value = 'value' in options ? options.value : valueAt(this.root, segments);
    const { message, hint } = messageFor(code, { path: path || '(file)', value, extra: options.extra });
    this.items.push({ severity: options.severity ?? 'error', code, file: this.file, path, message, hint });
    this.ranks.push(this.rankOf(segments));
  }

  /** Findings about one service stay together, in the order the services appear in the file. */
  private rankOf(segments: Segments): number {
    const services = isObject(this.root) ? this.root.services : undefined;
    if (segments[0] !== 'services' || !isObject(services) || segments.length < 2) return -1;
    return Object.keys(services).indexOf(String(segments[1]));
  }

  sorted(): Diagnostic[] {
    return this.items.map((item, index) => ({ item, rank: this.ranks[index] as number, index }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map(({ item }) => item);
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'a boolean',
  array: 'a list',
  object: 'an object',
  record: 'an object',
  tuple: 'a list',
};

function addZodIssue(list: DiagnosticList, issue: z.core.$ZodIssue): void {
  const segments = issue.path as Segments;
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? 'BERTH_SPEC_ENV_NAME';
    list.add(inner.startsWith('BERTH_SPEC_') ? inner : 'BERTH_SPEC_ENV_NAME', segments, { value: segments.at(-1) });
    return;
  }
  if (issue.code === 'unrecognized_keys') {
    const inBinds = segments.at(-1) === 'binds';
    for (const key of issue.keys) {
      list.add(inBinds ? 'BERTH_SPEC_BIND_SOURCE' : 'BERTH_SPEC_UNKNOWN_FIELD', [...segments, key], {
        extra: inBinds ? undefined : 'see docs/pipeline-file.md',
      });
    }
    return;
  }
  if (issue.message.startsWith('BERTH_SPEC_')) {
    const onDiscriminator = issue.code === 'invalid_union' && segments.at(-1) === 'type';
    list.add(issue.message, segments, onDiscriminator ? { value: valueAt(list.root, segments) } : {});
    return;
  }
  if (issue.code === 'invalid_type') {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    const value = valueAt(list.root, segments);
    if (value === undefined) list.add('BERTH_SPEC_REQUIRED', segments, { extra: `"${String(segments.at(-1))}" (${expected})` });
    else list.add('BERTH_SPEC_TYPE', segments, { extra: expected });
    return;
  }
  list.add('BERTH_SPEC_TYPE', segments, { extra: issue.message.replace(/^Invalid input: expected /i, '') });
}

function checkVersion(list: DiagnosticList, spec: Json): void {
  if (typeof spec.version !== 'string' || spec.version === CURRENT_PIPELINE_VERSION) return;
  if (KNOWN_PIPELINE_VERSIONS.includes(spec.version)) list.add('BERTH_SPEC_VERSION_OLD', ['version']);
  else list.add('BERTH_SPEC_VERSION_UNKNOWN', ['version']);
}

function checkService(list: DiagnosticList, key: string, service: Json, names: string[]): void {
  const at = (...rest: Segments): Segments => ['services', key, ...rest];
  if (typeof service.name === 'string' && service.name !== key) list.add('BERTH_SPEC_NAME_KEY_MISMATCH', at('name'), { extra: key });

  const ports = Array.isArray(service.ports) ? service.ports : [];
  ports.forEach((port, index) => {
    if (ports.indexOf(port) !== index) list.add('BERTH_SPEC_PORT_DUPLICATE', at('ports', index));
  });

  if (isObject(service.binds)) {
    const data = service.binds['/data'];
    const project = service.binds['/project-dir'];
    if (typeof data === 'string' && typeof project === 'string' && pathsOverlap(data, project)) {
      list.add('BERTH_SPEC_BIND_OVERLAP', at('binds', '/project-dir'), { extra: `"${data}" of /data` });
    }
  }

  checkReadiness(list, service, ports, at);

  if (Array.isArray(service.depends_on)) {
    service.depends_on.forEach((dependency, index) => {
      if (typeof dependency !== 'string') return;
      if (dependency === key) list.add('BERTH_SPEC_DEPENDS_ON_SELF', at('depends_on', index));
      else if (!names.includes(dependency)) list.add('BERTH_SPEC_DEPENDS_ON_UNKNOWN', at('depends_on', index), { extra: names.join(', ') });
    });
  }

  for (const field of Object.keys(service)) {
    const known = likelyMeant(field);
    if (known) list.add('BERTH_SPEC_FIELD_TYPO', at(field), { severity: 'warning', extra: known });
  }

  if (typeof service.command === 'string' && /\s/.test(service.command.trim())) {
    list.add('BERTH_SPEC_COMMAND_SPACES', at('command'), { severity: 'warning' });
  }
  if (service.exposed === true && service.requires_authentication === false) {
    list.add('BERTH_SPEC_PUBLIC_SERVICE', at('requires_authentication'), { severity: 'warning' });
  }
  if (isObject(service.env_variables)) {
    for (const name of Object.keys(service.env_variables)) {
      if (/PASSWORD|SECRET|TOKEN|KEY/i.test(name)) {
        list.add('BERTH_SPEC_SECRET_IN_ENV', at('env_variables', name), { severity: 'warning', extra: name });
      }
    }
  }
}

let serviceFields: string[] | undefined;

/**
 * Unknown fields are kept, but one that is a small edit away from a known field is almost always a
 * typo (`expose`, `require_authentication`) whose value would be silently ignored.
 */
function likelyMeant(field: string): string | undefined {
  serviceFields ??= Object.keys(specSchemas().service.shape);
  if (serviceFields.includes(field)) return undefined;
  return serviceFields.find((known) => editDistance(field, known) <= Math.min(2, Math.floor(known.length / 4)));
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** True when one absolute path equals the other or lies inside it. */
function pathsOverlap(a: string, b: string): boolean {
  const norm = (p: string): string => (p.endsWith('/') ? p : `${p}/`);
  return norm(a).startsWith(norm(b)) || norm(b).startsWith(norm(a));
}

function checkReadiness(list: DiagnosticList, service: Json, ports: unknown[], at: (...rest: Segments) => Segments): void {
  const readiness = service.readiness;
  if (!isObject(readiness)) return;
  const portList = ports.filter((p) => typeof p === 'number').join(', ');
  if (readiness.type === 'http' && typeof readiness.port === 'number' && !ports.includes(readiness.port)) {
    list.add('BERTH_SPEC_READINESS_PORT', at('readiness', 'port'), { extra: portList });
  }
  if (readiness.type === 'port' && Array.isArray(readiness.ports)) {
    readiness.ports.forEach((port, index) => {
      if (typeof port === 'number' && !ports.includes(port)) list.add('BERTH_SPEC_READINESS_PORT', at('readiness', 'ports', index), { extra: portList });
    });
  }
  if (readiness.type === 'log' && typeof readiness.pattern === 'string' && readiness.pattern !== '') {
    try {
      new RegExp(readiness.pattern);
    } catch (error) {
      list.add('BERTH_SPEC_READINESS_PATTERN', at('readiness', 'pattern'), { extra: (error as Error).message });
    }
  }
}

function checkOrders(list: DiagnosticList, services: Array<[string, Json]>): void {
  const owners = new Map<number, string>();
  for (const [key, service] of services) {
    if (typeof service.order !== 'number') continue;
    const owner = owners.get(service.order);
    if (owner === undefined) owners.set(service.order, key);
    else list.add('BERTH_SPEC_ORDER_DUPLICATE', ['services', key, 'order'], { extra: owner });
  }
}

function checkCycles(list: DiagnosticList, services: Array<[string, Json]>): void {
  const known = new Set(services.map(([key]) => key));
  const edges = new Map<string, string[]>();
  for (const [key, service] of services) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : [];
    edges.set(key, deps.filter((d): d is string => typeof d === 'string' && d !== key && known.has(d)));
  }
  // Depth-first search: meeting a service that is still on the stack closes a cycle.
  const finished = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    const onStack = stack.indexOf(node);
    if (onStack !== -1) {
      const cycle = [...stack.slice(onStack), node];
      list.add('BERTH_SPEC_DEPENDS_ON_CYCLE', ['services', node, 'depends_on'], { extra: cycle.join(' -> ') });
      return;
    }
    if (finished.has(node)) return;
    stack.push(node);
    for (const next of edges.get(node) ?? []) visit(next);
    stack.pop();
    finished.add(node);
  };
  for (const [key] of services) visit(key);
}

/**
 * The bounds of limits.ts, before the schema walks the file. False when the file must not be looked at
 * further: too deep (recursive checks would overflow the stack) or too many services (every other
 * check grows with their number, and the answer is no anyway).
 */
export function checkLimits(list: DiagnosticList, spec: Json): boolean {
  const deep = findTooDeep(spec);
  if (deep) {
    list.add('BERTH_SPEC_TOO_DEEP', deep, { extra: String(MAX_NESTING_DEPTH), value: undefined });
    return false;
  }
  const services = spec.services;
  const count = isObject(services) ? Object.keys(services).length : 0;
  const limit = maxServices();
  if (count > limit) {
    list.add('BERTH_SPEC_TOO_MANY_SERVICES', ['services'], { extra: `${count} services; a pipeline may have at most ${limit}`, value: undefined });
    return false;
  }
  const findings = findNulBytes(spec);
  if (isObject(services)) {
    for (const [key, service] of Object.entries(services)) if (isObject(service)) findings.push(...findOversizedService(key, service));
  }
  for (const finding of findings) {
    list.add(finding.code, finding.segments, { value: finding.value, ...(finding.extra === undefined ? {} : { extra: finding.extra }) });
  }
  return true;
}

export interface ValidateOptions {
  /**
   * The runtime the pipeline will run on: `kubernetes` also applies the API server's rules, `local`
   * the one network a session's services share there.
   */
  runtime?: string;
}

/**
 * Env names the kubernetes runtime cannot set: Orchest's pattern allows a leading digit, the API
 * server does not (422 on the Deployment). Only names that pass Orchest's pattern are looked at;
 * the rest already have their error.
 */
function checkKubernetesEnvNames(list: DiagnosticList, key: string, service: Json): void {
  const at = (...rest: Segments): Segments => ['services', key, ...rest];
  const refused = (name: unknown): name is string => typeof name === 'string' && ENV_VAR_NAME_PATTERN.test(name) && !KUBERNETES_ENV_VAR_NAME_PATTERN.test(name);
  if (isObject(service.env_variables)) {
    for (const name of Object.keys(service.env_variables)) if (refused(name)) list.add('BERTH_SPEC_ENV_NAME_KUBERNETES', at('env_variables', name), { value: name });
  }
  if (Array.isArray(service.env_variables_inherit)) {
    service.env_variables_inherit.forEach((name, index) => {
      if (refused(name)) list.add('BERTH_SPEC_ENV_NAME_KUBERNETES', at('env_variables_inherit', index), { value: name });
    });
  }
}

const SCOPE_WORDS: Record<string, string> = { interactive: 'sessions', noninteractive: 'job runs' };

/** The scopes of a service that start it: `interactive` (sessions) and `noninteractive` (job runs). */
function startingScopes(service: Json): string[] {
  const scopes = Array.isArray(service.scope) ? service.scope : [];
  return [...new Set(scopes)].filter((scope): scope is string => typeof scope === 'string' && scope in SCOPE_WORDS);
}

/**
 * Ports the local runtime cannot give two services: the services of a session share one network
 * there (the host's in host mode, the session's namespace otherwise), where Orchest, docker and
 * kubernetes give each service its own address. Without this rule the first service starts and
 * the second is refused only when its turn comes. Services whose scopes do not overlap never run
 * together; the later service in file order gets the error, naming the first that took the port.
 * One pass with a map from (scope, port) to the service that took it: a pipeline of 1,000 services
 * is checked in linear time.
 */
function checkLocalSharedPorts(list: DiagnosticList, services: Array<[string, Json]>): void {
  const takenBy = new Map<string, number>(); // `${scope} ${port}` -> index of the first service declaring it
  services.forEach(([key, service], index) => {
    const scopes = startingScopes(service);
    const ports = Array.isArray(service.ports) ? service.ports : [];
    ports.forEach((port, portIndex) => {
      if (typeof port !== 'number' || ports.indexOf(port) !== portIndex) return; // a repeat has BERTH_SPEC_PORT_DUPLICATE
      const owners = scopes.map((scope) => takenBy.get(`${scope} ${port}`) ?? Infinity);
      const first = Math.min(...owners);
      if (first !== Infinity) {
        const where = scopes.filter((_, i) => owners[i] === first).map((scope) => SCOPE_WORDS[scope]).join(' and ');
        list.add('BERTH_SPEC_PORT_SHARED_LOCAL', ['services', key, 'ports', portIndex], { extra: `"${services[first]![0]}", and both start in ${where}` });
      }
      for (const scope of scopes) if (!takenBy.has(`${scope} ${port}`)) takenBy.set(`${scope} ${port}`, index);
    });
  });
}

/** Validates a pipeline (migrated to the current version): errors and warnings, in file order. */
export function validatePipeline(spec: unknown, file: string, options: ValidateOptions = {}): Diagnostic[] {
  const list = new DiagnosticList(file, spec);
  if (!isObject(spec)) {
    list.add('BERTH_SPEC_TYPE', [], { extra: 'a JSON object', value: spec });
    return list.items;
  }
  if (!checkLimits(list, spec)) return list.sorted();
  const result = specSchemas().pipeline.safeParse(spec);
  if (!result.success) for (const issue of result.error.issues) addZodIssue(list, issue);
  checkVersion(list, spec);
  const services = isObject(spec.services)
    ? Object.entries(spec.services).filter((entry): entry is [string, Json] => isObject(entry[1]))
    : [];
  const names = services.map(([key]) => key);
  for (const [key, service] of services) checkService(list, key, service, names);
  if (options.runtime === 'kubernetes') for (const [key, service] of services) checkKubernetesEnvNames(list, key, service);
  if (options.runtime === 'local') checkLocalSharedPorts(list, services);
  checkOrders(list, services);
  checkCycles(list, services);
  return list.sorted();
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
