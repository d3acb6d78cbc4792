/**
 * Environment definitions in Orchest's project layout:
 * `.orchest/environments/<uuid>/properties.json` (`uuid`, `name`, `base_image`, `language`,
 * `gpu_support`) and `setup_script.sh`. Validated before any write; writes are atomic (temp file in
 * the same directory + rename); unknown properties are kept.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvironmentProperties as ApiEnvironmentProperties } from '../api/index.ts';
import { EnvironmentError } from './errors.ts';

/** The API's properties (src/api/types.ts); unknown ones in the file are kept. */
export interface EnvironmentProperties extends ApiEnvironmentProperties {
  [extra: string]: unknown;
}

export interface Environment {
  properties: EnvironmentProperties;
  setupScript: string;
}

export interface EnvironmentInput {
  name: string;
  base_image: string;
  language?: string;
  gpu_support?: boolean;
  setupScript?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SCRIPT_BYTES = 1024 * 1024;
/** Orchest's default setup script, minus its conda/mamba hint (Berth base images are plain Debian). */
export const DEFAULT_SETUP_SCRIPT = '#!/bin/bash\n\n# Install any dependencies you have in this shell script,\n# see https://docs.orchest.io/en/latest/fundamentals/environments.html#install-packages\n\n# E.g. apt-get update && apt-get install -y --no-install-recommends <package>\n';

export function environmentsDir(projectDir: string): string {
  return join(projectDir, '.orchest', 'environments');
}

export function environmentDir(projectDir: string, uuid: string): string {
  return join(environmentsDir(projectDir), uuid);
}

export async function listEnvironments(projectDir: string): Promise<Environment[]> {
  let names: string[];
  try {
    names = await readdir(environmentsDir(projectDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found = await Promise.all(names.filter((name) => UUID.test(name)).sort().map((uuid) => getEnvironment(projectDir, uuid)));
  return found.sort((a, b) => a.properties.name.localeCompare(b.properties.name));
}

export async function getEnvironment(projectDir: string, uuid: string): Promise<Environment> {
  checkUuid(uuid);
  const dir = environmentDir(projectDir, uuid);
  const file = join(dir, 'properties.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EnvironmentError('BERTH_ENV_NOT_FOUND', { uuid, projectDir, file }, { cause });
    }
    throw cause;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EnvironmentError('BERTH_ENV_INVALID', { problem: 'json', file, reason: (cause as Error).message }, { cause });
  }
  const properties = validateProperties(parsed, file);
  if (properties.uuid !== uuid) {
    throw new EnvironmentError('BERTH_ENV_INVALID', { problem: 'uuid-mismatch', file, uuid: properties.uuid, directory: uuid });
  }
  let setupScript = '';
  try {
    setupScript = await readFile(join(dir, 'setup_script.sh'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { properties, setupScript };
}

export async function createEnvironment(projectDir: string, input: EnvironmentInput, uuid: string = randomUUID()): Promise<Environment> {
  checkUuid(uuid);
  const properties = validateProperties(
    { uuid, name: input.name, base_image: input.base_image, language: input.language ?? 'python', gpu_support: input.gpu_support ?? false },
    'new environment',
  );
  const setupScript = validateSetupScript(input.setupScript ?? DEFAULT_SETUP_SCRIPT, 'new environment');
  const dir = environmentDir(projectDir, uuid);
  await mkdir(environmentsDir(projectDir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EnvironmentError('BERTH_ENV_EXISTS', { uuid, projectDir }, { cause });
    }
    throw cause;
  }
  await writeAtomic(join(dir, 'setup_script.sh'), setupScript);
  await writeAtomic(join(dir, 'properties.json'), `${JSON.stringify(properties, null, 2)}\n`);
  return { properties, setupScript };
}

export async function updateEnvironment(projectDir: string, uuid: string, changes: Partial<EnvironmentInput>): Promise<Environment> {
  const current = await getEnvironment(projectDir, uuid);
  const { setupScript: newScript, ...propertyChanges } = changes;
  const file = join(environmentDir(projectDir, uuid), 'properties.json');
  const properties = validateProperties({ ...current.properties, ...definedOnly(propertyChanges), uuid }, file);
  const setupScript = newScript === undefined ? current.setupScript : validateSetupScript(newScript, join(environmentDir(projectDir, uuid), 'setup_script.sh'));
  if (newScript !== undefined) await writeAtomic(join(environmentDir(projectDir, uuid), 'setup_script.sh'), setupScript);
  await writeAtomic(file, `${JSON.stringify(properties, null, 2)}\n`);
  return { properties, setupScript };
}

export async function deleteEnvironment(projectDir: string, uuid: string): Promise<void> {
  await getEnvironment(projectDir, uuid);
  await rm(environmentDir(projectDir, uuid), { recursive: true, force: true });
}

export function validateProperties(value: unknown, where: string): EnvironmentProperties {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, '', 'must be a JSON object with uuid, name, base_image, language and gpu_support');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.uuid !== 'string' || !UUID.test(v.uuid)) throw invalid(where, 'uuid', 'must be a lowercase uuid such as 3fa85f64-5717-4562-b3fc-2c963f66afa6');
  if (typeof v.name !== 'string' || v.name.trim() === '') throw invalid(where, 'name', 'must be a non-empty string');
  if (typeof v.base_image !== 'string' || !/^[^\s]+$/.test(v.base_image)) {
    throw invalid(where, 'base_image', 'must be an image reference without spaces, e.g. localhost/debian:bookworm');
  }
  if (typeof v.language !== 'string' || v.language.trim() === '') throw invalid(where, 'language', 'must be a non-empty string such as "python"');
  if (typeof v.gpu_support !== 'boolean') throw invalid(where, 'gpu_support', 'must be true or false');
  return v as EnvironmentProperties;
}

export function validateSetupScript(script: unknown, where: string): string {
  if (typeof script !== 'string') throw invalid(where, 'setup_script.sh', 'must be text');
  if (script.includes('\u0000')) throw invalid(where, 'setup_script.sh', 'must not contain NUL bytes');
  if (Buffer.byteLength(script) > MAX_SCRIPT_BYTES) throw invalid(where, 'setup_script.sh', `must be at most ${MAX_SCRIPT_BYTES} bytes`);
  return script;
}

/** `field` of the value in `where` breaks `rule`; the details name both for the UI. */
function invalid(where: string, field: string, rule: string): EnvironmentError {
  return new EnvironmentError('BERTH_ENV_INVALID', { problem: 'value', where, field, rule }, { details: { where, field } });
}

function checkUuid(uuid: string): void {
  if (!UUID.test(uuid)) {
    throw new EnvironmentError('BERTH_ENV_INVALID', { problem: 'uuid', uuid });
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temp, content);
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
