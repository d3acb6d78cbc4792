/** @module sessions: the session manager (reconcile loop) and readiness. */
export {
  SessionManager,
  SPEC_HASH_LABEL,
  type SessionManagerOptions,
  type StartSessionInput,
  type SessionEvent,
  type SessionView,
  type ServiceView,
  type ApplyResult,
} from './manager.ts';
export { SessionError, SESSION_CODES, type SessionCode, type ReadinessCode } from './errors.ts';
