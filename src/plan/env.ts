/**
 * Service environment (orchest-compatibility.md: Environment variables): service vars < inherited vars < the five ORCHEST_*
 * SDK vars. Orchest appended user vars after ORCHEST_*, so a user var could shadow them (GAP);
 * here ORCHEST_* come last and a user var with one of their names is dropped with a warning.
 */
import { posix } from 'node:path';
import type { Scope, ServiceSpec } from '../spec/index.ts';
import type { EnvVar } from './types.ts';

export const ORCHEST_SDK_VARS = [
  'ORCHEST_PROJECT_UUID',
  'ORCHEST_PIPELINE_UUID',
  'ORCHEST_PIPELINE_PATH',
  'ORCHEST_SESSION_UUID',
  'ORCHEST_SESSION_TYPE',
] as const;

/** Orchest's value for services; the file is not there unless /project-dir is bound (see pipelinePathInService). */
export const ORCHEST_DEFAULT_PIPELINE_PATH = '/pipeline.json';

export const MASK = '********';

export interface EnvInput {
  service: ServiceSpec;
  userEnv: Record<string, string>;
  sessionType: Scope;
  projectUuid: string;
  pipelineUuid: string;
  sessionUuid: string;
  /** Pipeline file path relative to the project directory. */
  pipelinePath: string;
}

/**
 * Where the service finds the pipeline file. Orchest set `/pipeline.json` but never mounted it into
 * services, so the SDK failed there in jobs (orchest-compatibility.md: The SDK's get_service). When the project directory is bound, its copy
 * of the pipeline file is at `<bind target>/<pipelinePath>`, which makes the SDK work; otherwise we
 * keep Orchest's value so nothing that compared against it changes.
 */
export function pipelinePathInService(service: ServiceSpec, pipelinePath: string): string {
  const projectTarget = service.binds?.['/project-dir'];
  return projectTarget ? posix.join(projectTarget, pipelinePath) : ORCHEST_DEFAULT_PIPELINE_PATH;
}

/** The env list (one entry per name, in precedence order) and the warnings planning it produced. */
export function buildServiceEnv(input: EnvInput): { env: EnvVar[]; warnings: string[] } {
  const { service } = input;
  const warnings: string[] = [];
  const byName = new Map<string, EnvVar>();
  // Re-inserting moves a name to the end, so the list reads in precedence order.
  const put = (entry: EnvVar) => {
    byName.delete(entry.name);
    byName.set(entry.name, entry);
  };

  for (const [name, value] of Object.entries(service.env_variables ?? {})) put({ name, value, source: 'service' });

  for (const name of service.env_variables_inherit ?? []) {
    const value = input.userEnv[name];
    if (value === undefined) {
      const where = input.sessionType === 'interactive' ? 'in the project or pipeline env vars' : "in the job's env vars";
      warnings.push(
        `services.${service.name}.env_variables_inherit: ${name} is not defined ${where}, so the service starts without it; ` +
          `define it (\`berth env set PROJECT ${name}=VALUE\`) or remove it from the list`,
      );
      continue;
    }
    put({ name, value, source: 'inherited' });
  }

  const orchest: Record<(typeof ORCHEST_SDK_VARS)[number], string> = {
    ORCHEST_PROJECT_UUID: input.projectUuid,
    ORCHEST_PIPELINE_UUID: input.pipelineUuid,
    ORCHEST_PIPELINE_PATH: pipelinePathInService(service, input.pipelinePath),
    ORCHEST_SESSION_UUID: input.sessionUuid,
    ORCHEST_SESSION_TYPE: input.sessionType,
  };
  for (const name of ORCHEST_SDK_VARS) {
    const shadowing = byName.get(name);
    if (shadowing) {
      const field = shadowing.source === 'service' ? 'env_variables' : 'env_variables_inherit';
      warnings.push(
        `services.${service.name}.${field}: ${name} is set by Berth for the Orchest SDK and cannot be overridden; ` +
          `the service's value is ignored (rename the variable)`,
      );
    }
    put({ name, value: orchest[name], source: 'orchest' });
  }
  return { env: [...byName.values()], warnings };
}

/** For display and logs: inherited values are project/pipeline/job secrets. */
export function maskEnv(env: EnvVar[]): EnvVar[] {
  return env.map((entry) => (entry.source === 'inherited' ? { ...entry, value: MASK } : { ...entry }));
}
