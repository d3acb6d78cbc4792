/** The plan layer's error: a pipeline that loads but cannot become a session. */
import { BerthError, type ErrorCatalogue } from '../shared/index.ts';

/** The plan layer's codes (BERTH_PLAN_*), each declared once with its status and cause. */
export const PLAN_CODES = {
  BERTH_PLAN_ARGS_UNBALANCED: { status: 422, summary: "a service's args open a quote they never close" },
  BERTH_PLAN_ARGS_TRAILING_ESCAPE: { status: 422, summary: "a service's args end with a backslash that escapes nothing" },
  BERTH_PLAN_BIND_UNKNOWN: { status: 422, summary: 'a service binds a source that is not /data or /project-dir' },
  BERTH_PLAN_DEPENDENCY_CYCLE: { status: 422, summary: "the services' depends_on wait for each other in a cycle" },
  BERTH_PLAN_HOSTNAME_INVALID: { status: 422, summary: "a service's host name (name + session uuid) is not a valid DNS label" },
  BERTH_PLAN_SESSION_UUID_INVALID: { status: 422, summary: 'the session uuid made from the project, pipeline or run uuid is not usable in host names' },
  BERTH_PLAN_ENVIRONMENT_NOT_BUILT: { status: 409, summary: "a service's environment image has no built image to run" },
  BERTH_PLAN_RUN_UUID_MISSING: { status: 500, summary: 'a noninteractive session was planned without the uuid of its job run (a caller bug)' },
  BERTH_PLAN_NAMESPACE_INVALID: { status: 500, summary: 'a name-based uuid was asked for with a namespace that is not a uuid (a bug)' },
} as const satisfies ErrorCatalogue;

export type PlanCode = keyof typeof PLAN_CODES;

export class PlanError extends BerthError<PlanCode> {}
