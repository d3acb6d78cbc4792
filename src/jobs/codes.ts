/**
 * The jobs layer's codes (BERTH_JOB_*: jobs, runs and the steps they execute), each declared once
 * with its status, cause, message and hint; throw sites pass the facts.
 */
import { defineError, type ErrorCatalogue } from '../shared/index.ts';

/** A step a user named that is not there: in the pipeline (a step selection) or in a run (its log). */
type MissingStep = { step: string; steps: readonly string[] } & ({ pipeline: string } | { run: string });

/** A `--param` or API parameter naming what the pipeline does not have. */
type UnknownParameter =
  /** A parameter of a step; `parameters`: the ones it has. */
  | { step: string; parameter: string; parameters: readonly string[] }
  /** A pipeline parameter; `assigned`: named in a `--param` assignment, where step parameters carry the step's name. */
  | { pipeline: string; parameter: string; parameters: readonly string[]; assigned?: boolean }
  /** A step (by uuid) of structured parameters; `steps`: the ones the pipeline has, as `title (uuid)`. */
  | { pipeline: string; stepUuid: string; steps: readonly string[] };

/** The parameters there are, or how to get some. */
function describeParams(label: string, names: readonly string[]): string {
  return names.length ? `${label}: ${names.join(', ')}` : `there are no ${label}; add them in the pipeline file first`;
}

/** Jobs to name instead of an unknown or ambiguous reference (`name (uuid prefix)`), or how to make one. */
function jobsHint({ jobs }: { jobs: readonly string[] }): string {
  return jobs.length ? `name it by uuid; jobs: ${jobs.join(', ')}` : 'create one with `berth job create PROJECT PIPELINE`';
}

export const JOB_CODES = {
  BERTH_JOB_NOT_FOUND: defineError({
    status: 404,
    summary: 'no job has this name or uuid (prefix)',
    message: ({ ref }: { ref: string; jobs: readonly string[] }) => `no job "${ref}"`,
    hint: jobsHint,
  }),
  BERTH_JOB_RUN_NOT_FOUND: defineError({
    status: 404,
    summary: 'no run has this uuid (prefix)',
    message: ({ ref }: { ref: string }) => `no run "${ref}"`,
    hint: () => 'list runs with `berth run list`',
  }),
  BERTH_JOB_STEP_NOT_FOUND: defineError({
    status: 404,
    summary: 'the pipeline or run has no step with this title or uuid',
    /** `steps`: the steps there are, as the user may name them. */
    message: (facts: MissingStep) => ('run' in facts ? `run ${facts.run} has no step "${facts.step}"` : `pipeline "${facts.pipeline}" has no step "${facts.step}"`),
    hint: (facts) => `${'run' in facts ? 'steps of this run' : 'steps'}: ${facts.steps.join(', ') || '(none)'}`,
  }),
  BERTH_JOB_PROJECT_NOT_FOUND: defineError({
    status: 404,
    summary: "the job's project is no longer registered",
    message: ({ projectUuid }: { projectUuid: string }) => `project ${projectUuid} of this job is no longer registered`,
    hint: () => 'register the project directory again with `berth project add DIR`',
  }),
  BERTH_JOB_REF_INVALID: defineError({
    status: 422,
    summary: 'a job reference matches more than one job',
    message: ({ ref, count }: { ref: string; count: number; jobs: readonly string[] }) => `${count} jobs match "${ref}"`,
    hint: jobsHint,
  }),
  BERTH_JOB_RUN_REF_INVALID: defineError({
    status: 422,
    summary: 'a run reference matches more than one run',
    message: ({ ref, count }: { ref: string; count: number }) => `${count} runs start with "${ref}"`,
    hint: () => 'give more of the run uuid',
  }),
  BERTH_JOB_STEP_REF_INVALID: defineError({
    status: 422,
    summary: 'a step reference matches more than one step',
    message: ({ step, count, pipeline }: { step: string; count: number; pipeline: string; steps: readonly string[] }) =>
      `${count} steps of pipeline "${pipeline}" are titled "${step}"`,
    hint: ({ steps }) => `steps: ${steps.join(', ') || '(none)'}; name it by uuid`,
  }),
  BERTH_JOB_PARAM_INVALID: defineError({
    status: 422,
    summary: 'a parameter assignment is not KEY=VALUE (with a JSON value)',
    message: ({ assignment }: { assignment: string }) => `parameter "${assignment}" is not KEY=VALUE`,
    hint: () => 'use --param key=value for a pipeline parameter or --param "<step title>.key=value" for a step parameter',
  }),
  BERTH_JOB_PARAM_INVALID_NAME: defineError({
    status: 422,
    summary: 'a parameter names a step or parameter the pipeline does not have',
    message: (facts: UnknownParameter) =>
      'stepUuid' in facts ? `pipeline "${facts.pipeline}" has no step ${facts.stepUuid}`
      : 'step' in facts ? `step "${facts.step}" has no parameter "${facts.parameter}"`
      : `pipeline "${facts.pipeline}" has no parameter "${facts.parameter}"`,
    hint: (facts) =>
      'stepUuid' in facts ? `steps of this pipeline: ${facts.steps.join(', ') || '(none)'}`
      : 'step' in facts ? describeParams(`parameters of step "${facts.step}"`, facts.parameters)
      : `${describeParams('pipeline parameters', facts.parameters)}${facts.assigned ? '; step parameters are named "<step title or uuid>.<name>"' : ''}`,
  }),
  BERTH_JOB_ENV_INVALID: defineError({
    status: 422,
    summary: "a job's env var assignment or name is not valid",
    /** `assignment`: the name of a `--env` assignment (CLI); `name`: a variable of structured env (API). */
    message: (facts: { assignment: string } | { name: string }) =>
      'assignment' in facts ? `env assignment "${facts.assignment}" is not NAME=VALUE with a valid name` : `env var "${facts.name}" is not valid`,
    hint: (facts) =>
      'assignment' in facts
        ? 'use --env NAME=VALUE; names have letters, digits, "-" and "_" only (Orchest\'s rule)'
        : 'names have letters, digits, "-" and "_" only; values are strings',
  }),
  BERTH_JOB_DAG_INVALID: defineError({
    status: 422,
    summary: "the pipeline's steps connect to an unknown step or form a cycle",
    /** `cycle`: the step titles around a cycle; otherwise `step` (title, `stepUuid`) connects from the unknown step `from`. */
    message: (facts: { cycle: readonly string[] } | { step: string; stepUuid: string; from: string }) =>
      'cycle' in facts ? `the steps form a cycle: ${facts.cycle.join(' -> ')}` : `step "${facts.step}" has an incoming connection from unknown step ${facts.from}`,
    hint: (facts) => ('cycle' in facts ? 'remove one of the connections so the steps form a DAG' : `fix steps.${facts.stepUuid}.incoming_connections in the pipeline file`),
  }),
  BERTH_JOB_NEEDS_STEPS: defineError({
    status: 422,
    summary: 'the pipeline has no steps to run',
    message: ({ pipelinePath }: { pipelinePath: string }) => `pipeline ${pipelinePath} has no steps to run`,
    hint: () => 'add steps to the pipeline file first',
  }),
  BERTH_JOB_STEP_FILE_TYPE: defineError({
    status: 422,
    summary: "a step's file has a type this runtime cannot run",
    /** `step`: a TypeScript step (its title) on a container runtime; otherwise `ext` is a type no runtime runs, `types` the ones they do. */
    message: (facts: { filePath: string; ext: string; types: readonly string[] } | { filePath: string; step: string }) =>
      'step' in facts
        ? `step "${facts.step}" (${facts.filePath}) is TypeScript: TypeScript steps run through Berth's own Node and tsx, which a step container does not have`
        : `cannot run step file ${facts.filePath}: unknown file type "${facts.ext || '(none)'}"`,
    hint: (facts) =>
      'step' in facts ? 'compile the step to .mjs (it runs with the image\'s node), or run the pipeline on the local runtime' : `steps can be ${facts.types.join(', ')} files`,
  }),
  BERTH_JOB_STEP_NO_ENVIRONMENT: defineError({
    status: 422,
    summary: 'a step on a container runtime has no environment to take its image from',
    message: ({ step }: { step: string; projectUuid: string }) => `step "${step}" has no environment: on a container runtime each step runs in its environment's image`,
    hint: ({ projectUuid }) =>
      `set the step's "environment" in the pipeline file to an environment uuid (\`berth env-image list ${projectUuid}\`) and build it with \`berth env-image build\``,
  }),
  BERTH_JOB_RUN_STILL_ACTIVE: defineError({
    status: 409,
    summary: 'the job still has runs going, so it cannot be deleted',
    /** `runs`: the uuids of the runs still going (at least one). */
    message: ({ job, runs }: { job: string; runs: readonly string[] }) => `job "${job}" has ${runs.length === 1 ? 'a run' : 'runs'} still going (${runs.join(', ')})`,
    hint: ({ runs }) => `cancel ${runs.length === 1 ? 'it' : 'them'} first: berth run cancel ${runs[0] ?? ''}`,
  }),
  BERTH_JOB_RUN_NOT_RUNNING: defineError({
    status: 409,
    summary: 'the run has already ended',
    message: ({ runUuid, status }: { runUuid: string; status: string }) => `run ${runUuid} already ${status}`,
    hint: () => 'only pending, starting or running runs can be cancelled',
  }),
  BERTH_JOB_SESSION_NOT_RUNNING: defineError({
    status: 409,
    summary: 'no interactive session of the pipeline is running to run its steps in',
    message: ({ pipelinePath, project }: { pipelinePath: string; project: string }) => `no interactive session of ${pipelinePath} is running in project "${project}"`,
    hint: ({ pipelinePath, project }) => `start it with \`berth session start ${project} ${pipelinePath}\`, or run the pipeline as a job`,
  }),
  BERTH_JOB_CANCELLED: defineError({
    status: 409,
    summary: 'the run was cancelled',
    message: () => 'the run was cancelled',
  }),
  BERTH_JOB_SERVICES_FAILED: defineError({
    status: 502,
    summary: "a service of the run's session failed to start, so the steps did not run",
    /** `reason`: the session's, null when it gives none. */
    message: ({ reason }: { reason: string | null }) => `the run's services did not start: ${reason ?? 'a service failed'}`,
    hint: () => "see the service's log with `berth run status`; fix the pipeline's services and create a new job",
  }),
  BERTH_JOB_SERVICES_TIMEOUT: defineError({
    status: 504,
    summary: "the run's services were not ready within the deadline",
    /** `waiting`: the services not ready yet, as `name (status)`. */
    message: ({ seconds, waiting }: { seconds: number; waiting: readonly string[] }) => `the run's services were not ready after ${seconds} s: ${waiting.join(', ')}`,
    hint: () => 'give slow services a readiness timeout_seconds in the pipeline file',
  }),
  BERTH_JOB_NO_ENVIRONMENTS: defineError({
    status: 500,
    summary: 'steps on a container runtime need environment images and Jobs was built without a way to look them up (a wiring bug)',
    message: ({ runtime }: { runtime: string }) => `steps on the ${runtime} runtime need environment images, and none can be looked up here`,
    hint: () => 'run Jobs with a resolveEnvironmentImage option (berth serve gives one)',
  }),
} as const satisfies ErrorCatalogue;

export type JobCode = keyof typeof JOB_CODES;
