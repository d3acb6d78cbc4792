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
      throw new JobError('BERTH_JOB_PARAM_INVALID', { assignment });
    }
    const target = assignment.slice(0, eq);
    const value = parseValue(assignment.slice(eq + 1));
    const pipelineParams = spec.parameters ?? {};
    const step = stepForTarget(steps, target);
    if (step && !(target in pipelineParams)) {
      const key = target.slice(step.prefix.length + 1);
      if (!(key in step.spec.parameters)) {
        throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', { step: step.spec.title, parameter: key, parameters: Object.keys(step.spec.parameters) });
      }
      (result.steps[step.spec.uuid] ??= {})[key] = value;
      continue;
    }
    if (!(target in pipelineParams)) {
      throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', { pipeline: spec.name, parameter: target, parameters: Object.keys(pipelineParams), assigned: true });
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
      throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', { pipeline: spec.name, parameter: key, parameters: Object.keys(pipelineParams) });
    }
  }
  for (const [stepUuid, params] of Object.entries(parameters.steps ?? {})) {
    const step = spec.steps[stepUuid];
    if (!step) {
      const steps = Object.values(spec.steps).map((s) => `${s.title} (${s.uuid})`);
      throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', { pipeline: spec.name, stepUuid, steps });
    }
    for (const key of Object.keys(params)) {
      if (!(key in step.parameters)) {
        throw new JobError('BERTH_JOB_PARAM_INVALID_NAME', { step: step.title, parameter: key, parameters: Object.keys(step.parameters) });
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
      throw new JobError('BERTH_JOB_ENV_INVALID', { assignment: name });
    }
    env[name] = assignment.slice(eq + 1);
  }
  return env;
}

export function checkEnvNames(env: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || typeof value !== 'string') {
      throw new JobError('BERTH_JOB_ENV_INVALID', { name });
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
