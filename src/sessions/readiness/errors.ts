import type { BerthErrorOptions } from '../../shared/index.ts';
import { SessionError, type ReadinessCode } from '../errors.ts';

/**
 * Why a service did not become ready: BERTH_READINESS_TIMEOUT, BERTH_READINESS_EXITED,
 * BERTH_READINESS_FAILED, BERTH_READINESS_ABORTED, BERTH_READINESS_INVALID (declared in
 * ../errors.ts). `details.lastLogLines` always holds the last lines the service logged since this start.
 */
export class ReadinessError extends SessionError {
  declare readonly code: ReadinessCode;

  constructor(code: ReadinessCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
  }
}
