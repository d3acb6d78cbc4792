/**
 * In-memory migrations of pipeline files from every Orchest version (1.0.0 … 1.2.2) to 1.2.3, step by
 * step as Orchest's compat.py did, so that old files load unchanged on disk. Each step records what it
 * changed in words, which `berth migrate` shows before writing.
 *
 * Deliberate differences from compat.py (its bugs, documented in docs/pipeline-file.md):
 * - 1.0.0: `env_variables_inherit` keeps its order (Orchest went through a Python set).
 * - 1.2.1: Orchest's collision check compared every renamed service with itself, so every renamed
 *   service got a random uuid name (often starting with a digit, i.e. invalid). Here the uuid
 *   fallback is used only on a real collision, and is made a valid name.
 */
import { randomUUID } from 'node:crypto';
import { SpecError } from './errors.ts';
import { ENV_VAR_NAME_PATTERN } from './schema.ts';
import { CURRENT_PIPELINE_VERSION, type PipelineSpec } from './types.ts';

export interface MigrationResult {
  spec: PipelineSpec;
  /** The version the input declared ('1.0.0' when it declared none, as Orchest assumed). */
  sourceVersion: string;
  changed: boolean;
  /** What changed, for a person, e.g. `services.redis: guessed ports [6379] from image "redis"`. */
  steps: string[];
}

type Json = Record<string, unknown>;
type Migration = (pipeline: Json, log: (change: string) => void) => void;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function servicesOf(pipeline: Json): Array<[string, Json]> {
  const services = pipeline.services;
  if (!isObject(services)) return [];
  return Object.entries(services).filter((entry): entry is [string, Json] => isObject(entry[1]));
}

/** Orchest's make_env_var_name_valid: every character outside [0-9a-zA-Z-_] becomes `_`. */
export function sanitizeEnvVarName(name: string): string {
  return name.replace(/[^0-9a-zA-Z\-_]/g, '_');
}

/** Orchest's de-duplication: `x`, then `x_2`, then `x_2_3`, … (each suffix appended to the last try). */
function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate); i++) candidate = `${candidate}_${i}`;
  return candidate;
}

function envVariablesValid(env: Json): boolean {
  return Object.entries(env).every(([name, value]) => ENV_VAR_NAME_PATTERN.test(name) && typeof value === 'string');
}

const migrate100: Migration = function migrateFrom100(pipeline, log) {
  if (!('parameters' in pipeline)) {
    pipeline.parameters = {};
    log('added empty "parameters"');
  }
  for (const [key, service] of servicesOf(pipeline)) {
    const env = service.env_variables;
    if (isObject(env) && !envVariablesValid(env)) {
      const renamed: Json = {};
      const taken = new Set<string>();
      for (const [name, value] of Object.entries(env)) {
        const valid = uniqueName(sanitizeEnvVarName(name), taken);
        taken.add(valid);
        renamed[valid] = value;
        if (valid !== name) log(`services.${key}.env_variables: renamed "${name}" to "${valid}"`);
      }
      service.env_variables = renamed;
    }
    const inherit = Array.isArray(service.env_variables_inherit) ? service.env_variables_inherit : [];
    const taken = new Set<string>();
    const names: unknown[] = [];
    for (const name of inherit) {
      if (typeof name !== 'string') {
        names.push(name);
        continue;
      }
      const valid = uniqueName(sanitizeEnvVarName(name), taken);
      taken.add(valid);
      names.push(valid);
      if (valid !== name) log(`services.${key}.env_variables_inherit: renamed "${name}" to "${valid}"`);
    }
    if (!('env_variables_inherit' in service)) log(`services.${key}: added empty "env_variables_inherit"`);
    service.env_variables_inherit = names;
  }
  const steps = isObject(pipeline.steps) ? Object.entries(pipeline.steps) : [];
  for (const [uuid, step] of steps) {
    if (isObject(step) && isObject(step.kernel) && step.kernel.name === 'ir') {
      step.kernel.name = 'r';
      log(`steps.${uuid}.kernel.name: renamed kernel "ir" to "r"`);
    }
  }
};

/** Orchest's guesses when Docker-era services had no ports (compat.py 1.1.0), first match wins. */
export const PORT_GUESSES: ReadonlyArray<readonly [string, number]> = [
  ['redis', 6379],
  ['postgres', 5432],
  ['streamlit', 8501],
  ['mysql', 3306],
  ['rabbitmq', 5672],
  ['tensorflow', 6006],
  ['voila', 8866],
  ['mlflow', 5000],
  ['shiny', 8000],
];
export const DEFAULT_GUESSED_PORT = 8080;

export function guessPort(image: string): number {
  const lower = image.toLowerCase();
  return PORT_GUESSES.find(([needle]) => lower.includes(needle))?.[1] ?? DEFAULT_GUESSED_PORT;
}

const migrate110: Migration = function migrateFrom110(pipeline, log) {
  for (const [key, service] of servicesOf(pipeline)) {
    if ('entrypoint' in service) {
      if ('command' in service) {
        service.args = service.command;
        delete service.command;
        log(`services.${key}: moved "command" (the arguments in the Docker era) to "args"`);
      }
      service.command = service.entrypoint;
      delete service.entrypoint;
      log(`services.${key}: renamed "entrypoint" to "command"`);
    }
    if (!Array.isArray(service.ports) || service.ports.length === 0) {
      const image = typeof service.image === 'string' ? service.image : '';
      const port = guessPort(image);
      service.ports = [port];
      log(`services.${key}: guessed ports [${port}] from image "${image}"`);
    }
    if (!('exposed' in service)) {
      service.exposed = false;
      log(`services.${key}: set "exposed": false`);
    }
    if (!('requires_authentication' in service)) {
      service.requires_authentication = true;
      log(`services.${key}: set "requires_authentication": true`);
    }
  }
};

/**
 * compat.py `_fill_missing_order`: services sorted by order (missing counts as 0, stable), an order
 * equal to the previous one is bumped by one, then services without order get max+1, max+2, … in
 * key order.
 */
const migrate120: Migration = function migrateFrom120(pipeline, log) {
  const services = servicesOf(pipeline);
  const orderOf = (service: Json): number | undefined => (typeof service.order === 'number' ? service.order : undefined);
  const sorted = [...services].sort((a, b) => (orderOf(a[1]) ?? 0) - (orderOf(b[1]) ?? 0));
  let max = -1;
  for (const [key, service] of sorted) {
    const order = orderOf(service);
    if (order === undefined) continue;
    if (order === max) {
      service.order = order + 1;
      log(`services.${key}: changed duplicate "order" ${order} to ${order + 1}`);
    }
    max = service.order as number;
  }
  const missing = sorted.filter(([, service]) => orderOf(service) === undefined).map(([key]) => key).sort();
  const byKey = new Map(services);
  for (const key of missing) {
    max += 1;
    (byKey.get(key) as Json).order = max;
    log(`services.${key}: set "order": ${max}`);
  }
};

function firstLetterIndex(name: string): number {
  const index = name.search(/[a-z]/);
  return index === -1 ? name.length : index;
}

/** A valid fallback name when renaming collides: Orchest used uuid4()[:26]; this one also starts with a letter. */
function fallbackServiceName(): string {
  return `s${randomUUID().replace(/-/g, '').slice(0, 25)}`;
}

const migrate121: Migration = function migrateFrom121(pipeline, log) {
  const services = pipeline.services;
  if (!isObject(services)) return;
  const changes = new Map<string, string>();
  for (const [key, service] of servicesOf(pipeline)) {
    if (typeof service.name !== 'string') {
      if (!('name' in service)) service.name = '';
      continue;
    }
    const lower = service.name.toLowerCase();
    const start = firstLetterIndex(lower);
    const renamed = lower.slice(start, start + 26);
    if (renamed !== service.name) changes.set(key, renamed);
  }
  const unchanged = new Set(Object.keys(services).filter((key) => !changes.has(key)));
  const targets = [...changes.values()];
  for (const [key, renamed] of changes) {
    const collides = renamed === '' || unchanged.has(renamed) || targets.filter((t) => t === renamed).length > 1;
    const name = collides ? fallbackServiceName() : renamed;
    const service = services[key] as Json;
    const old = String(service.name);
    service.name = name;
    // Re-key: keys must equal names, otherwise the service cannot be renamed in the UI.
    delete services[key];
    services[name] = service;
    log(
      collides
        ? `services.${key}: renamed "${old}" to "${name}" ("${renamed}" would collide or be empty)`
        : `services.${key}: renamed "${old}" to "${name}" (lowercase, starts with a letter, at most 26 characters)`,
    );
  }
};

const migrate122: Migration = function migrateFrom122(pipeline, log) {
  if (!isObject(pipeline.settings)) pipeline.settings = {};
  (pipeline.settings as Json).max_steps_parallelism = 0;
  log('set "settings.max_steps_parallelism": 0 (no limit)');
};

/** version -> (migration, version it migrates to), as compat.py's `_version_to_migration_function`. */
const MIGRATIONS: ReadonlyMap<string, readonly [Migration, string]> = new Map([
  ['1.0.0', [migrate100, '1.1.0']],
  ['1.1.0', [migrate110, '1.2.0']],
  ['1.2.0', [migrate120, '1.2.1']],
  ['1.2.1', [migrate121, '1.2.2']],
  ['1.2.2', [migrate122, '1.2.3']],
]);

export const KNOWN_PIPELINE_VERSIONS: readonly string[] = [...MIGRATIONS.keys(), CURRENT_PIPELINE_VERSION];

/**
 * Migrates a parsed pipeline file to CURRENT_PIPELINE_VERSION without touching its input.
 * Throws SpecError BERTH_SPEC_VERSION_UNKNOWN for versions Orchest never wrote.
 */
export function migratePipeline(raw: Record<string, unknown>): MigrationResult {
  const pipeline = structuredClone(raw);
  const declared = typeof pipeline.version === 'string' ? pipeline.version : undefined;
  const sourceVersion = declared ? declared : '1.0.0';
  if (!KNOWN_PIPELINE_VERSIONS.includes(sourceVersion)) {
    throw new SpecError('BERTH_SPEC_VERSION_UNKNOWN', { path: 'version', value: pipeline.version }, { details: { version: pipeline.version } });
  }
  const steps: string[] = [];
  if (!declared) steps.push('no "version": treated as 1.0.0, as Orchest did');
  let version = sourceVersion;
  for (let next = MIGRATIONS.get(version); next; next = MIGRATIONS.get(version)) {
    const [migration, to] = next;
    migration(pipeline, (change) => steps.push(`${version} -> ${to}: ${change}`));
    version = to;
  }
  pipeline.version = version;
  const changed = sourceVersion !== CURRENT_PIPELINE_VERSION || declared === undefined;
  return { spec: pipeline as PipelineSpec, sourceVersion, changed, steps };
}
