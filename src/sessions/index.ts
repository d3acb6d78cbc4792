/** @module sessions: the session manager (commands over a reconcile controller) and readiness. */
export { SessionManager, type SessionManagerOptions, type ApplyResult } from './manager.ts';
export { SPEC_HASH_LABEL, type StartSessionInput } from './context.ts';
export type { SessionEvent } from './records.ts';
export { CURSOR_PATTERN, sessionInfo, sessionInfoJson, type SessionUpdate, type SessionView, type ServiceView } from './views.ts';
export { SessionError, SESSION_CODES, type SessionCode, type ReadinessCode } from './errors.ts';
