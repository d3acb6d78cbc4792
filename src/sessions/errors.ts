import { BerthError, defineError, renderError, type ErrorArgs, type ErrorCatalogue } from '../shared/index.ts';

/**
 * The session layer's codes, each declared once with its status, cause, message and hint: BERTH_SESSION_* for the
 * manager, BERTH_READINESS_* for why a service did not become ready (readiness/errors.ts).
 */
export const SESSION_CODES = {
  BERTH_SESSION_NOT_FOUND: defineError({
    status: 404,
    summary: 'no session has this uuid',
    message: ({ sessionUuid }: { sessionUuid: string }) => `no session ${sessionUuid}`,
    hint: () => 'list sessions with `berth session status`',
  }),
  BERTH_SESSION_NO_SUCH_SERVICE: defineError({
    status: 404,
    summary: 'the session has no service with this name',
    message: ({ service }: { service: string; services?: readonly string[] }) => `the session has no service "${service}"`,
    hint: ({ services }) => (services ? `services of this session: ${services.join(', ') || '(none)'}` : 'list them with `berth session status`'),
  }),
  BERTH_SESSION_NOT_RUNNING: defineError({
    status: 409,
    summary: 'the session is stopped or stopping, so it cannot do this',
    message: ({ sessionUuid, status }: { sessionUuid: string; status: string }) => `session ${sessionUuid} is ${status}`,
    hint: () => 'start it with `berth session start PROJECT PIPELINE`',
  }),
  BERTH_SESSION_STOPPED: defineError({
    status: 409,
    summary: 'the session was stopped while this was going on',
    /** `why`: what was going on, when it was not the session's stop itself. */
    message: ({ why }: { why?: 'restart' | 'replaced' | 'before-steps' }) =>
      why === 'restart' ? 'the service is being restarted'
      : why === 'replaced' ? 'replaced by a newer start of the service'
      : why === 'before-steps' ? 'the session was stopped before the steps ran'
      : 'the session was stopped',
  }),
  BERTH_SESSION_SHUTDOWN: defineError({
    status: 503,
    summary: 'Berth is shutting down while this was going on',
    message: () => 'Berth is shutting down',
  }),
  BERTH_SESSION_SERVICE_FAILED: defineError({
    status: 502,
    summary: 'a service failed to start for a reason no other code names (the message is the original one)',
    message: ({ message }: { message: string }) => message,
  }),
  BERTH_SESSION_NO_SPEC: defineError({
    status: 500,
    summary: 'a session was started without its pipeline spec (a caller bug)',
    message: () => 'no pipeline spec given',
  }),
  BERTH_SESSION_PLAN: defineError({
    status: 500,
    summary: 'planning the session failed with an unexpected error (a bug in the plan)',
    message: ({ reason }: { reason: string }) => `cannot plan the session: ${reason}`,
  }),
  BERTH_READINESS_TIMEOUT: defineError({
    status: 504,
    summary: 'a service did not pass its readiness check within its deadline',
    message: ({ service, timeout, check, lastAttempt, attempts }: { service: string; timeout: string; check: string; lastAttempt: string; attempts: number }) =>
      `service ${service} was not ready after ${timeout}: waiting for ${check}; last attempt: ${lastAttempt} (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`,
    hint: ({ service }) => `see its last log lines; if it only needs longer, raise services.${service}.readiness.timeout_seconds`,
  }),
  BERTH_READINESS_EXITED: defineError({
    status: 502,
    summary: 'a service exited or disappeared before it was ready',
    /** `exit`: how it ended; none when the runtime no longer has it at all. */
    message: ({ service, check, exit }: { service: string; check: string; exit?: string }) =>
      exit === undefined
        ? `service ${service} disappeared before it was ready (the runtime no longer has it) while waiting for ${check}`
        : `service ${service} exited before it was ready (${exit}) while waiting for ${check}`,
    hint: ({ service, exit }) =>
      exit === undefined ? 'something outside Berth removed it; start the session again' : `its last log lines say why; fix services.${service}.command, args or env_variables`,
  }),
  BERTH_READINESS_FAILED: defineError({
    status: 502,
    summary: 'a service cannot start, or its readiness check cannot run',
    /** `check`: the readiness check that cannot run; none when the service itself cannot start. */
    message: ({ service, reason, check }: { service: string; reason: string; check?: string }) =>
      check === undefined ? `service ${service} cannot start: ${reason}` : `service ${service}: the readiness check (${check}) cannot run: ${reason}`,
    hint: ({ service, check }) =>
      check === undefined ? `fix services.${service} (image, command) and start it again` : `fix services.${service}.readiness or install what it needs on the host`,
  }),
  BERTH_READINESS_ABORTED: defineError({
    status: 409,
    summary: 'waiting for readiness stopped because the session or service is being stopped',
    message: ({ service }: { service: string }) => `service ${service}: waiting for readiness was aborted`,
    hint: () => 'the session or service is being stopped',
  }),
  BERTH_READINESS_INVALID: defineError({
    status: 422,
    summary: "a service's readiness check is not valid (a log pattern that is no regular expression)",
    message: ({ service, pattern }: { service: string; pattern: string }) =>
      `services.${service}.readiness.pattern ${JSON.stringify(pattern)} is not a valid regular expression`,
    hint: () => 'use JavaScript regular expression syntax, e.g. "Ready to accept connections"',
  }),
} as const satisfies ErrorCatalogue;

export type SessionCode = keyof typeof SESSION_CODES;
export type ReadinessCode = Extract<SessionCode, `BERTH_READINESS_${string}`>;

/** Errors of the session layer: codes of SESSION_CODES. */
export class SessionError extends BerthError<SessionCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof SESSION_CODES>) {
    super(code, renderError(SESSION_CODES[code], params), options);
  }
}
