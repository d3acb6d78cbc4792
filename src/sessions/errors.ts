import { BerthError, type ErrorCatalogue } from '../shared/index.ts';

/**
 * The session layer's codes, each declared once with its status and cause: BERTH_SESSION_* for the
 * manager, BERTH_READINESS_* for why a service did not become ready (readiness/errors.ts).
 */
export const SESSION_CODES = {
  BERTH_SESSION_NOT_FOUND: { status: 404, summary: 'no session has this uuid' },
  BERTH_SESSION_NO_SUCH_SERVICE: { status: 404, summary: 'the session has no service with this name' },
  BERTH_SESSION_NOT_RUNNING: { status: 409, summary: 'the session is stopped or stopping, so it cannot do this' },
  BERTH_SESSION_STOPPED: { status: 409, summary: 'the session was stopped while this was going on' },
  BERTH_SESSION_SHUTDOWN: { status: 503, summary: 'Berth is shutting down while this was going on' },
  BERTH_SESSION_SERVICE_FAILED: { status: 502, summary: 'a service failed to start for a reason no other code names (the message is the original one)' },
  BERTH_SESSION_NO_SPEC: { status: 500, summary: 'a session was started without its pipeline spec (a caller bug)' },
  BERTH_SESSION_PLAN: { status: 500, summary: 'planning the session failed with an unexpected error (a bug in the plan)' },
  BERTH_READINESS_TIMEOUT: { status: 504, summary: 'a service did not pass its readiness check within its deadline' },
  BERTH_READINESS_EXITED: { status: 502, summary: 'a service exited or disappeared before it was ready' },
  BERTH_READINESS_FAILED: { status: 502, summary: 'a service cannot start, or its readiness check cannot run' },
  BERTH_READINESS_ABORTED: { status: 409, summary: 'waiting for readiness stopped because the session or service is being stopped' },
  BERTH_READINESS_INVALID: { status: 422, summary: "a service's readiness check is not valid (a log pattern that is no regular expression)" },
} as const satisfies ErrorCatalogue;

export type SessionCode = keyof typeof SESSION_CODES;
export type ReadinessCode = Extract<SessionCode, `BERTH_READINESS_${string}`>;

/** Errors of the session layer: codes of SESSION_CODES. */
export class SessionError extends BerthError<SessionCode> {}
