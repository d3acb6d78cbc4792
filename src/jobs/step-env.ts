/**
 * A step's environment, in Orchest's order: the user's vars (job vars, or project+pipeline vars in
 * interactive runs), then Berth's, then ORCHEST_* last so nothing the user sets can shadow them.
 */
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_MARKER } from './orphans.ts';

/** The repository's Python SDK: on PYTHONPATH so `import orchest` works without installing it. */
export const PYTHON_SDK_DIR = fileURLToPath(new URL('../../sdk/python', import.meta.url));

/** The TypeScript SDK: TypeScript steps `await import(process.env.BERTH_SDK_TS)`. */
export const TS_SDK_FILE = fileURLToPath(new URL('../sdk/index.ts', import.meta.url));

export interface StepEnvInput {
  /** The host environment the step starts from (PATH, HOME, LANG, …). */
  host: NodeJS.ProcessEnv;
  userEnv: Record<string, string>;
  stepUuid: string;
  /** Marks the step's processes so recovery can find them after a crash of Berth. */
  runUuid: string;
  sessionUuid: string;
  sessionType: 'interactive' | 'noninteractive';
  pipelineUuid: string;
  /** Absolute path of the pipeline file the step reads its parameters from. */
  pipelinePath: string;
  projectUuid: string;
  projectDir: string;
  dataDir: string;
  apiUrl: string;
  sessionToken?: string;
  /**
   * Interactive runs: the session's services as started, written by Berth for the step (the SDK
   * reads it instead of asking the API, which step containers and pods may not reach).
   */
  servicesFile?: string;
  runtime: string;
}

export function stepEnv(input: StepEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.host)) {
    // Berth's own settings and a parent session's identity never leak into a step.
    if (value === undefined || name.startsWith('ORCHEST_') || name.startsWith('BERTH_')) continue;
    env[name] = value;
  }
  Object.assign(env, input.userEnv);
  env.PYTHONPATH = [PYTHON_SDK_DIR, env.PYTHONPATH].filter(Boolean).join(delimiter);
  env.BERTH_API_URL = input.apiUrl;
  if (input.sessionToken) env.BERTH_SESSION_TOKEN = input.sessionToken;
  else delete env.BERTH_SESSION_TOKEN;
  env.BERTH_RUNTIME = input.runtime;
  if (input.servicesFile) env.BERTH_SERVICES_FILE = input.servicesFile;
  env.BERTH_SDK_TS = TS_SDK_FILE;
  env[RUN_MARKER] = input.runUuid;
  // Where Orchest's fixed paths are on this machine: steps on the local runtime see host paths.
  env.ORCHEST_PROJECT_DIR = input.projectDir;
  env.ORCHEST_DATA_DIR = input.dataDir;
  env.ORCHEST_STEP_UUID = input.stepUuid;
  env.ORCHEST_SESSION_UUID = input.sessionUuid;
  env.ORCHEST_SESSION_TYPE = input.sessionType;
  env.ORCHEST_PIPELINE_UUID = input.pipelineUuid;
  env.ORCHEST_PIPELINE_PATH = input.pipelinePath;
  env.ORCHEST_PROJECT_UUID = input.projectUuid;
  return env;
}
