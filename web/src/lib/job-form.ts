/**
 * The job form's model: env var rows (the project+pipeline variables the job copies, plus the
 * user's own) and parameter rows (the pipeline's and each step's, as JSON text), and the
 * POST /api/jobs body built from them. Pure, so the rules read in one place.
 */
import type { PipelineSpec } from '../../../src/spec/browser.ts';
import type { EnvVarEntry } from '../api.ts';

/** Orchest's rule for env var names, also enforced by the API. */
export const ENV_NAME = /^[0-9a-zA-Z\-_]+$/;

export interface EnvRow {
  key: string;
  name: string;
  /** Where the job would copy it from; null for a variable the user adds. */
  source: 'project' | 'pipeline' | null;
  /** The new value; null keeps the copied (masked) one. */
  value: string | null;
}

export interface ParamRow {
  key: string;
  /** 'pipeline' or a step uuid. */
  scope: string;
  scopeLabel: string;
  name: string;
  original: string;
  text: string;
}

/** The copied variables by name: the pipeline's win over the project's, as on job creation. */
export function inheritedEnvRows(project: EnvVarEntry[], pipeline: EnvVarEntry[]): EnvRow[] {
  const rows = new Map<string, EnvRow>();
  for (const entry of project) rows.set(entry.name, { key: `inherited-${entry.name}`, name: entry.name, source: 'project', value: null });
  for (const entry of pipeline) rows.set(entry.name, { key: `inherited-${entry.name}`, name: entry.name, source: 'pipeline', value: null });
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function paramRows(spec: PipelineSpec | null): ParamRow[] {
  if (!spec) return [];
  const rows: ParamRow[] = [];
  for (const [name, value] of Object.entries(spec.parameters ?? {})) {
    const original = JSON.stringify(value);
    rows.push({ key: `pipeline/${name}`, scope: 'pipeline', scopeLabel: 'Pipeline', name, original, text: original });
  }
  for (const step of Object.values(spec.steps)) {
    for (const [name, value] of Object.entries(step.parameters ?? {})) {
      const original = JSON.stringify(value);
      rows.push({ key: `${step.uuid}/${name}`, scope: step.uuid, scopeLabel: step.title, name, original, text: original });
    }
  }
  return rows;
}

export function envRowProblem(row: EnvRow, rows: EnvRow[]): string | null {
  if (row.source !== null) return null;
  if (!row.name) return 'Give the variable a name.';
  if (!ENV_NAME.test(row.name)) return 'Use letters, digits, "-" and "_" only.';
  if (rows.some((other) => other !== row && other.name === row.name)) return `${row.name} is already in the list: override that one.`;
  return null;
}

export function paramProblem(row: ParamRow): string | null {
  try {
    JSON.parse(row.text);
    return null;
  } catch {
    return 'Not a JSON value: text needs quotes ("hola"); numbers, true/false, [lists] and {objects} as they are.';
  }
}

export interface JobBody {
  project: string;
  pipeline: string;
  name?: string;
  env: Record<string, string>;
  parameters: { pipeline: Record<string, unknown>; steps: Record<string, Record<string, unknown>> };
}

/** Only what differs from the copy the server takes anyway: overridden or added vars, changed parameters. */
export function jobBody(input: { project: string; pipeline: string; name: string; env: EnvRow[]; params: ParamRow[] }): JobBody {
  const env: Record<string, string> = {};
  for (const row of input.env) if (row.value !== null) env[row.name] = row.value;
  const parameters: JobBody['parameters'] = { pipeline: {}, steps: {} };
  for (const row of input.params) {
    const value: unknown = JSON.parse(row.text);
    if (JSON.stringify(value) === row.original) continue;
    if (row.scope === 'pipeline') parameters.pipeline[row.name] = value;
    else parameters.steps[row.scope] = { ...parameters.steps[row.scope], [row.name]: value };
  }
  return { project: input.project, pipeline: input.pipeline, ...(input.name.trim() ? { name: input.name.trim() } : {}), env, parameters };
}
