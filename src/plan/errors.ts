/** The plan layer's error: a pipeline that loads but cannot become a session. */
import { BerthError, defineError, renderError, type ErrorArgs, type ErrorCatalogue } from '../shared/index.ts';

/**
 * The plan layer's codes (BERTH_PLAN_*), each declared once with its status, cause, message and hint.
 * `where` is a service's place in its file, `<pipeline path>: services.<name>`.
 */
export const PLAN_CODES = {
  BERTH_PLAN_ARGS_UNBALANCED: defineError({
    status: 422,
    summary: "a service's args open a quote they never close",
    /** `quote`: the quote character that is never closed, at `column`. */
    message: ({ where, quote, column, args }: { where: string; quote: "'" | '"'; column: number; args: string }) =>
      `${where}.args: the ${quote === "'" ? 'single' : 'double'} quote at column ${column} is never closed: ${args}`,
    hint: ({ quote }) => `add the closing ${quote}, or escape a literal quote (\\${quote} outside quotes${quote === '"' ? ', \\" inside double quotes' : ''})`,
  }),
  BERTH_PLAN_ARGS_TRAILING_ESCAPE: defineError({
    status: 422,
    summary: "a service's args end with a backslash that escapes nothing",
    message: ({ where, column, args }: { where: string; column: number; args: string }) =>
      `${where}.args: the backslash at column ${column} ends the text and escapes nothing: ${args}`,
    hint: () => 'remove it, or write \\\\ for a literal backslash',
  }),
  BERTH_PLAN_BIND_UNKNOWN: defineError({
    status: 422,
    summary: 'a service binds a source that is not /data or /project-dir',
    /** `sources`: the ones that can be bound. */
    message: ({ where, source }: { where: string; source: string; sources: readonly string[] }) => `${where}.binds: "${source}" is not a bind source`,
    hint: ({ sources }) => `only ${sources.join(' and ')} can be bound (Orchest allowed no others)`,
  }),
  BERTH_PLAN_DEPENDENCY_CYCLE: defineError({
    status: 422,
    summary: "the services' depends_on wait for each other in a cycle",
    /** `cycle`: the service names around it, the first one again at the end. */
    message: ({ pipelinePath, service, cycle }: { pipelinePath: string; service: string; cycle: readonly string[] }) =>
      `${pipelinePath}: services.${service}.depends_on: services wait for each other in a cycle: ${cycle.join(' -> ')}`,
    hint: () => 'remove one of these depends_on entries',
  }),
  BERTH_PLAN_HOSTNAME_INVALID: defineError({
    status: 422,
    summary: "a service's host name (name + session uuid) is not a valid DNS label",
    message: ({ where, hostname, maxLength }: { where: string; hostname: string; maxLength: number }) =>
      `${where}.name: the host name "${hostname}" (${hostname.length} characters) is not a valid DNS label of at most ${maxLength} characters`,
    hint: () => 'service names are at most 26 lowercase letters, digits or dashes, start with a letter and do not end with a dash; session uuids are 36 characters',
  }),
  BERTH_PLAN_SESSION_UUID_INVALID: defineError({
    status: 422,
    summary: 'the session uuid made from the project, pipeline or run uuid is not usable in host names',
    /** Made from `runUuid` (a job run's session), or from `projectUuid` and `pipelineUuid` (an interactive one). */
    message: (facts: { sessionUuid: string } & ({ runUuid: string } | { projectUuid: string; pipelineUuid: string })) => {
      const from = 'runUuid' in facts ? `run uuid "${facts.runUuid}"` : `project uuid "${facts.projectUuid}" and pipeline uuid "${facts.pipelineUuid}"`;
      return `the session uuid "${facts.sessionUuid}" made from the ${from} is not usable in host names`;
    },
    hint: () => 'uuids must be lowercase letters, digits and dashes (36 characters at most), e.g. 3f2a8c1e-5b7d-4e9f-a1c2-6d8e0f1a2b3c',
  }),
  BERTH_PLAN_ENVIRONMENT_NOT_BUILT: defineError({
    status: 409,
    summary: "a service's environment image has no built image to run",
    message: ({ where, environmentUuid, image }: { where: string; environmentUuid: string; image: string }) =>
      `${where}.image: environment ${environmentUuid} has no built image, so "${image}" cannot run`,
    hint: ({ environmentUuid }) => `build it first: berth env-image build PROJECT ${environmentUuid}`,
  }),
  BERTH_PLAN_RUN_UUID_MISSING: defineError({
    status: 500,
    summary: 'a noninteractive session was planned without the uuid of its job run (a caller bug)',
    message: () => 'a noninteractive session needs the uuid of its job run (its session uuid)',
    hint: () => 'pass the run uuid (`berth plan … --run-uuid UUID`), or plan an interactive session instead',
  }),
  BERTH_PLAN_NAMESPACE_INVALID: defineError({
    status: 500,
    summary: 'a name-based uuid was asked for with a namespace that is not a uuid (a bug)',
    message: ({ namespace }: { namespace: string }) => `"${namespace}" is not a uuid`,
  }),
} as const satisfies ErrorCatalogue;

export type PlanCode = keyof typeof PLAN_CODES;

export class PlanError extends BerthError<PlanCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof PLAN_CODES>) {
    super(code, renderError(PLAN_CODES[code], params), options);
  }
}
