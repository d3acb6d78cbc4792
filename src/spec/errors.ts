/** The spec layer's one error class: pipeline files that cannot be read, parsed, validated or written. */
import { BerthError } from '../shared/index.ts';
import type { SpecCode } from './codes.ts';

/** Codes: SPEC_CODES and THROWN_DIAGNOSTIC_CODES in ./codes.ts; BERTH_SPEC_INVALID has details: Diagnostic[]. */
export class SpecError extends BerthError<SpecCode> {}
