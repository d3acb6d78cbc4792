/**
 * The service editor's working copy. Inputs hold exactly what the user typed (a port is a string
 * until it is sent), so the server's schema judges the real input and its messages apply as-is.
 * Fields Berth does not know are carried through untouched, as the spec layer promises.
 */
import { type Diagnostic, type PipelineSpec, type Scope, type ServiceSpec, formatPath } from '../../../src/spec/browser.ts';

export type ReadinessKind = '' | 'port' | 'http' | 'log' | 'command' | 'none';

export interface ServiceDraft {
  /** Stable React key: the name changes while the user types. */
  id: string;
  name: string;
  image: string;
  command: string;
  args: string;
  env: { key: string; value: string }[];
  inherit: string[];
  scope: Scope[];
  projectMount: { on: boolean; path: string };
  dataMount: { on: boolean; path: string };
  ports: string[];
  exposed: boolean;
  requiresAuth: boolean;
  preserveBasePath: boolean;
  readiness: { type: ReadinessKind; ports: string; port: string; path: string; status: string; pattern: string; command: string; timeout: string };
  dependsOn: string[];
  order: number;
  extra: Record<string, unknown>;
}

const KNOWN = new Set([
  'name', 'image', 'command', 'args', 'env_variables', 'env_variables_inherit', 'scope', 'binds', 'ports', 'exposed',
  'requires_authentication', 'preserve_base_path', 'readiness', 'depends_on', 'order',
]);

let nextId = 1;

export function draftFromService(service: Partial<ServiceSpec>, order: number): ServiceDraft {
  const extra = Object.fromEntries(Object.entries(service).filter(([key]) => !KNOWN.has(key)));
  const r = (service.readiness ?? {}) as Record<string, unknown>;
  return {
    id: `s${nextId++}`,
    name: String(service.name ?? ''),
    image: String(service.image ?? ''),
    command: service.command ?? '',
    args: service.args ?? '',
    env: Object.entries(service.env_variables ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    inherit: [...(service.env_variables_inherit ?? [])],
    scope: [...(service.scope ?? ['interactive', 'noninteractive'])],
    projectMount: { on: service.binds?.['/project-dir'] !== undefined, path: service.binds?.['/project-dir'] ?? '/project-dir' },
    dataMount: { on: service.binds?.['/data'] !== undefined, path: service.binds?.['/data'] ?? '/data' },
    ports: (service.ports ?? []).map(String),
    exposed: Boolean(service.exposed),
    requiresAuth: service.requires_authentication ?? true,
    preserveBasePath: Boolean(service.preserve_base_path),
    readiness: {
      type: (typeof r.type === 'string' ? r.type : '') as ReadinessKind,
      ports: Array.isArray(r.ports) ? r.ports.join(', ') : '',
      port: r.port === undefined ? '' : String(r.port),
      path: typeof r.path === 'string' ? r.path : '',
      status: Array.isArray(r.status) ? r.status.join(', ') : '',
      pattern: typeof r.pattern === 'string' ? r.pattern : '',
      command: Array.isArray(r.command) ? r.command.join(' ') : '',
      timeout: r.timeout_seconds === undefined ? '' : String(r.timeout_seconds),
    },
    dependsOn: [...(service.depends_on ?? [])],
    order: typeof service.order === 'number' ? service.order : order,
    extra,
  };
}

/** A number when it reads as one; otherwise the text itself, so the schema reports what was typed. */
function numberish(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function list(text: string): (number | string)[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(numberish);
}

export function serviceFromDraft(d: ServiceDraft): ServiceSpec {
  const service: Record<string, unknown> = { ...d.extra, name: d.name, image: d.image, scope: d.scope };
  if (d.command) service.command = d.command;
  if (d.args) service.args = d.args;
  if (d.env.length) service.env_variables = Object.fromEntries(d.env.map((e) => [e.key, e.value]));
  if (d.inherit.length) service.env_variables_inherit = d.inherit;
  const binds: Record<string, string> = {};
  if (d.projectMount.on) binds['/project-dir'] = d.projectMount.path;
  if (d.dataMount.on) binds['/data'] = d.dataMount.path;
  if (Object.keys(binds).length) service.binds = binds;
  service.ports = d.ports.map(numberish);
  service.exposed = d.exposed;
  service.requires_authentication = d.requiresAuth;
  if (d.preserveBasePath) service.preserve_base_path = true;
  service.order = d.order;
  const r = d.readiness;
  if (r.type) {
    const readiness: Record<string, unknown> = { type: r.type };
    if (r.type === 'port' && r.ports.trim()) readiness.ports = list(r.ports);
    if (r.type === 'http') {
      if (r.port.trim()) readiness.port = numberish(r.port);
      if (r.path.trim()) readiness.path = r.path.trim();
      if (r.status.trim()) readiness.status = list(r.status);
    }
    if (r.type === 'log') readiness.pattern = r.pattern;
    if (r.type === 'command') readiness.command = r.command.trim().split(/\s+/).filter(Boolean);
    if (r.timeout.trim()) readiness.timeout_seconds = numberish(r.timeout);
    service.readiness = readiness;
  }
  if (d.dependsOn.length) service.depends_on = d.dependsOn;
  return service as ServiceSpec;
}

export function specFromDrafts(base: PipelineSpec, drafts: ServiceDraft[], parameters: Record<string, unknown> | undefined): PipelineSpec {
  const spec: PipelineSpec = { ...base, services: Object.fromEntries(drafts.map((d) => [d.name, serviceFromDraft(d)])) };
  if (parameters !== undefined) spec.parameters = parameters;
  return spec;
}

/** Orchest's rule for names from templates: `redis`, `redis1`, `redis2`, … */
export function uniqueName(base: string, taken: string[]): string {
  const stem = base || 'service';
  if (!taken.includes(stem)) return stem;
  for (let i = 1; i < 1000; i++) if (!taken.includes(`${stem}${i}`)) return `${stem}${i}`;
  return `${stem}-${Date.now()}`;
}

export type FieldErrors = Map<string, string[]>;

/**
 * Diagnostics by field of one service: keys are the first segment after `services.<name>`
 * (`ports`, `binds`, `readiness`, …), or `ports[0]` for a list item; `` is the service itself.
 */
export function errorsForService(diagnostics: Diagnostic[], name: string): FieldErrors {
  const prefix = formatPath(['services', name]);
  const out: FieldErrors = new Map();
  const add = (key: string, message: string) => out.set(key, [...(out.get(key) ?? []), message]);
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    if (d.path === prefix) {
      add('', d.message);
      continue;
    }
    const rest = d.path.startsWith(`${prefix}.`) ? d.path.slice(prefix.length + 1) : d.path.startsWith(`${prefix}[`) ? d.path.slice(prefix.length) : null;
    if (rest === null) continue;
    const head = /^([A-Za-z_$][\w$]*)(\[\d+\])?/.exec(rest) ?? /^\["([^"]+)"\]()/.exec(rest);
    const field = head?.[1] ?? '';
    const text = d.hint ? `${d.message} — ${d.hint}` : d.message;
    add(head?.[2] ? `${field}${head[2]}` : field, text);
  }
  return out;
}

/** Every message about a field, its list items included (`depends_on`, `depends_on[1]`). */
export function messagesFor(errors: FieldErrors, field: string): string[] {
  return [...errors.entries()].filter(([key]) => key === field || key.startsWith(`${field}[`)).flatMap(([, messages]) => messages);
}

/** Diagnostics that belong to no service row: shown above the editor. */
export function otherErrors(diagnostics: Diagnostic[], names: string[]): Diagnostic[] {
  const prefixes = names.map((n) => formatPath(['services', n]));
  return diagnostics.filter((d) => d.severity === 'error' && !prefixes.some((p) => d.path === p || d.path.startsWith(`${p}.`) || d.path.startsWith(`${p}[`)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True when the form holds what it was loaded with (same name, same resulting definition). */
export function draftUnchanged(before: ServiceDraft, now: ServiceDraft): boolean {
  return before.name === now.name && JSON.stringify(serviceFromDraft(before)) === JSON.stringify(serviceFromDraft(now));
}

/**
 * What Save sends: the file as it was read, with only the services the user added, changed or
 * removed replaced, and the parameters only when they were edited. The form spells out defaults
 * (`requires_authentication`, `exposed`, `order`), so sending every service from the form would
 * rewrite services nobody touched; the server keeps the original text of whatever is unchanged.
 * A file that was migrated from an older version is rewritten whole anyway: the form's spec goes.
 */
export function specToSave(input: {
  content: string;
  migrated: boolean;
  edited: PipelineSpec;
  initial: ServiceDraft[];
  drafts: ServiceDraft[];
  parametersChanged: boolean;
}): PipelineSpec {
  if (input.migrated) return input.edited;
  let raw: unknown;
  try {
    raw = JSON.parse(input.content);
  } catch {
    return input.edited;
  }
  if (!isPlainObject(raw)) return input.edited;
  const rawServices = isPlainObject(raw.services) ? raw.services : {};
  const before = new Map(input.initial.map((d) => [d.id, d]));
  const services: Record<string, unknown> = {};
  for (const draft of input.drafts) {
    const start = before.get(draft.id);
    const keep = start !== undefined && draftUnchanged(start, draft) && rawServices[draft.name] !== undefined;
    services[draft.name] = keep ? rawServices[draft.name] : serviceFromDraft(draft);
  }
  const out: Record<string, unknown> = { ...raw };
  if (raw.services !== undefined || input.drafts.length > 0) out.services = services;
  if (input.parametersChanged) out.parameters = input.edited.parameters;
  return out as unknown as PipelineSpec;
}
