/**
 * A step's environment, in Orchest's order: the user's vars (job vars, or project+pipeline vars in
 * interactive runs), then Berth's, then ORCHEST_* last so nothing the user sets can shadow them.
 * The one place every runtime builds it from (container-step.ts rebuilds it with container paths);
 * docs/jobs.md, "Step environment", lists each variable beside Orchest's value.
 */
import { delimiter } from 'node:path';
import { installPath } from '../shared/index.ts';
import { RUN_MARKER } from './orphans.ts';

/** The repository's Python SDK: on PYTHONPATH so `import orchest` works without installing it. */
export const PYTHON_SDK_DIR = installPath('sdk', 'python');

/** The TypeScript SDK: TypeScript steps `await import(process.env.BERTH_SDK_TS)`. */
export const TS_SDK_FILE = installPath('src', 'sdk', 'index.ts');

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
  /**
   * Where `orchest.output` writes and `orchest.get_inputs` reads (BERTH_TRANSFER_DIR): the job
   * run's directory, or the interactive session's (removed when the session stops).
   */
  transferDir: string;
  runtime: string;
  /** Orchest's ORCHEST_NAMESPACE: the kubernetes namespace of the steps; empty on other runtimes. */
  namespace: string;
  /** Orchest's ORCHEST_CLUSTER (the name of its installation): Berth's installation id. */
  cluster: string;
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
  env.BERTH_TRANSFER_DIR = input.transferDir;
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
  env.ORCHEST_NAMESPACE = input.namespace;
  env.ORCHEST_CLUSTER = input.cluster;
  // Orchest set it for steps, never for interactive kernels: the SDK evicts data passed between
  // steps only where it is set (and the pipeline's auto_eviction, always on in jobs, says so).
  env.ORCHEST_MEMORY_EVICTION = '1';
  return env;
}
