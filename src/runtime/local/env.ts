/** The environment of a service on the host. */
import type { ServicePlan } from '../../plan/index.ts';
import { SHELL_STARTUP_ENV_NAMES } from '../../spec/index.ts';

const HOST_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/**
 * A minimal host env (never Berth's whole environment: it may hold secrets) with the plan's env on
 * top in order, the later entry winning (ORCHEST_* come last in the plan).
 */
export function serviceEnv(plan: ServicePlan, rewrite: (text: string) => string): Record<string, string> {
  const env = hostEnv();
  for (const variable of plan.env) {
    // The wrapper is a shell: BASH_ENV/ENV would make it source a file (SHELLOPTS: run PS4) before
    // the service. Validation refuses them in the pipeline file; inherited project/job variables
    // are not in the file, so they are dropped here.
    if (SHELL_STARTUP_ENV_NAMES.includes(variable.name)) continue;
    delete env[variable.name];
    env[variable.name] = rewrite(variable.value);
  }
  return env;
}

export function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of HOST_ENV_NAMES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
