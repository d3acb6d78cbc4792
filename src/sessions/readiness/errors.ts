import { SessionError, type ReadinessCode, type SESSION_CODES } from '../errors.ts';
import type { ErrorArgs } from '../../shared/index.ts';

/**
 * Why a service did not become ready: BERTH_READINESS_TIMEOUT, BERTH_READINESS_EXITED,
 * BERTH_READINESS_FAILED, BERTH_READINESS_ABORTED, BERTH_READINESS_INVALID (declared in
 * ../errors.ts). `details.lastLogLines` always holds the last lines the service logged since this start.
 */
export class ReadinessError extends SessionError {
  declare readonly code: ReadinessCode;

  constructor(...args: ErrorArgs<Pick<typeof SESSION_CODES, ReadinessCode>>) {
    super(...args);
  }
}
