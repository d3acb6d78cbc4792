/**
 * Job parameters: `key=value` overrides a pipeline parameter, `<step title or uuid>.key=value` a
 * parameter of that step. Values are JSON when they parse as JSON (`5`, `true`, `[1,2]`,
 * `"quoted"`), otherwise the text as a string, so `--param greeting=hi` needs no quoting.
 */
import type { PipelineSpec, StepSpec } from '../spec/index.ts';
import { JobError } from './errors.ts';
import type { JobParameters } from './store.ts';

const ENV_NAME = /^[0-9a-zA-Z\-_]+$/;

export function emptyParameters(): JobParameters {
  return { pipeline: {}, steps: {} };
}

/** Parses `--param` assignments against the pipeline they override; unknown names are errors (typos). */
export function parseParameterAssignments(assignments: string[], spec: PipelineSpec): JobParameters {
  const result = emptyParameters();
  const steps = Object.values(spec.steps);
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new JobError('BERTH_JOB_PARAM_INVALID', `parameter "${assignment}" is not KEY=VALUE`, {
        hint: 'use --param key=value for a pipeline parameter or --param "<step title>.key=value" for a step parameter',
      });
    }
    const target = assignment.slice(0, eq);
    const value = parseValue(assignment.slice(eq + 1));
    const pipelineParams = spec.parameters ?? {};
    const step = stepForTarget(steps, target);
    if (step && !(target in pipelineParams)) {
      const key = target.slice(step.prefix.length + 1);
      if (!(key in step.spec.parameters)) {
        throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', `step "${step.spec.title}" has no parameter "${key}"`, {
          hint: describeParams(`parameters of step "${step.spec.title}"`, step.spec.parameters),
        });
      }
      (result.steps[step.spec.uuid] ??= {})[key] = value;
      continue;
    }
    if (!(target in pipelineParams)) {
      throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', `pipeline "${spec.name}" has no parameter "${target}"`, {
        hint: `${describeParams('pipeline parameters', pipelineParams)}; step parameters are named "<step title or uuid>.<name>"`,
      });
    }
    result.pipeline[target] = value;
  }
  return result;
}

/** Checks structured parameters (from the API) against the pipeline, as parseParameterAssignments does. */
export function checkParameters(parameters: JobParameters, spec: PipelineSpec): JobParameters {
  const pipelineParams = spec.parameters ?? {};
  for (const key of Object.keys(parameters.pipeline ?? {})) {
    if (!(key in pipelineParams)) {
      throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', `pipeline "${spec.name}" has no parameter "${key}"`, {
        hint: describeParams('pipeline parameters', pipelineParams),
      });
    }
  }
  for (const [stepUuid, params] of Object.entries(parameters.steps ?? {})) {
    const step = spec.steps[stepUuid];
    if (!step) throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', `pipeline "${spec.name}" has no step ${stepUuid}`);
    for (const key of Object.keys(params)) {
      if (!(key in step.parameters)) {
        throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', `step "${step.title}" has no parameter "${key}"`, {
          hint: describeParams(`parameters of step "${step.title}"`, step.parameters),
        });
      }
    }
  }
  return { pipeline: parameters.pipeline ?? {}, steps: parameters.steps ?? {} };
}

/** The pipeline a run executes: the job's snapshot with its parameters written in (a copy). */
export function applyParameters(spec: PipelineSpec, parameters: JobParameters): PipelineSpec {
  const copy = structuredClone(spec);
  copy.parameters = { ...(copy.parameters ?? {}), ...parameters.pipeline };
  for (const [stepUuid, params] of Object.entries(parameters.steps)) {
    const step = copy.steps[stepUuid];
    if (step) step.parameters = { ...step.parameters, ...params };
  }
  return copy;
}

/** `--env NAME=VALUE` assignments, with Orchest's name rule. */
export function parseEnvAssignments(assignments: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const name = eq === -1 ? assignment : assignment.slice(0, eq);
    if (eq === -1 || !ENV_NAME.test(name)) {
      throw new JobError('BERTH_JOB_ENV_INVALID', `env assignment "${name}" is not NAME=VALUE with a valid name`, {
        hint: 'use --env NAME=VALUE; names have letters, digits, "-" and "_" only (Orchest\'s rule)',
      });
    }
    env[name] = assignment.slice(eq + 1);
  }
  return env;
}

export function checkEnvNames(env: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || typeof value !== 'string') {
      throw new JobError('BERTH_JOB_ENV_INVALID', `env var "${name}" is not valid`, {
        hint: 'names have letters, digits, "-" and "_" only; values are strings',
      });
    }
  }
  return env;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The step a `<title or uuid>.<key>` target names; the longest title wins (titles may contain dots). */
function stepForTarget(steps: StepSpec[], target: string): { spec: StepSpec; prefix: string } | undefined {
  let best: { spec: StepSpec; prefix: string } | undefined;
  for (const step of steps) {
    for (const prefix of [step.uuid, step.title]) {
      if (target.startsWith(`${prefix}.`) && (!best || prefix.length > best.prefix.length)) best = { spec: step, prefix };
    }
  }
  return best;
}

function describeParams(label: string, params: Record<string, unknown>): string {
  const names = Object.keys(params);
  return names.length ? `${label}: ${names.join(', ')}` : `there are no ${label}; add them in the pipeline file first`;
}
