/** The spec layer's one error class: pipeline files that cannot be read, parsed, validated or written. */
import { BerthError, type BerthErrorOptions } from '../shared/index.ts';

/**
 * Codes: BERTH_SPEC_INVALID (details: Diagnostic[]), BERTH_SPEC_CHANGED_ON_DISK, BERTH_SPEC_READ_FAILED,
 * BERTH_SPEC_WRITE_FAILED, BERTH_SPEC_VERSION_UNKNOWN, BERTH_SPEC_TEMPLATE_UNKNOWN, BERTH_SPEC_NAME_EXHAUSTED.
 */
export class SpecError extends BerthError {
  constructor(code: `BERTH_SPEC_${string}`, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
  }
}
