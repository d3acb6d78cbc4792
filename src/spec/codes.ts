/**
 * The spec layer's codes, each declared once. Two kinds:
 * - SpecError codes (SPEC_CODES): a pipeline file that cannot be read, validated or written as a whole.
 * - diagnostics (MESSAGES in ./messages.ts, with their message and hint): one problem at one field,
 *   reported inside BERTH_SPEC_INVALID or a validation answer, never with a status of their own;
 *   the few also thrown alone (THROWN_DIAGNOSTIC_CODES) answer as unacceptable content, 422.
 */
import type { ErrorCatalogue, ErrorSpec } from '../shared/index.ts';
import { MESSAGES } from './messages.ts';

export const SPEC_CODES = {
  BERTH_SPEC_INVALID: { status: 422, summary: 'the pipeline has errors, so it is not written or used (details: the diagnostics)' },
  BERTH_SPEC_CHANGED_ON_DISK: { status: 409, summary: 'the pipeline file changed on disk since it was read; an edit would overwrite those changes' },
  BERTH_SPEC_TEMPLATE_UNKNOWN: { status: 422, summary: 'there is no service template with this id' },
  BERTH_SPEC_NAME_EXHAUSTED: { status: 409, summary: 'the pipeline already has 100 services named like the one to add' },
  BERTH_SPEC_READ_FAILED: { status: 500, summary: 'the pipeline file cannot be read (missing, not a file, no permission)' },
  BERTH_SPEC_WRITE_FAILED: { status: 500, summary: 'the pipeline file cannot be written (its directory is missing or not writable)' },
} as const satisfies ErrorCatalogue;

/** Diagnostics a SpecError may carry as its own code: the same cause as the diagnostic, so the same code. */
export const THROWN_DIAGNOSTIC_CODES = ['BERTH_SPEC_VERSION_UNKNOWN'] as const;

export type SpecCode = keyof typeof SPEC_CODES | (typeof THROWN_DIAGNOSTIC_CODES)[number];

/** A diagnostic code thrown alone says the file's content is unacceptable. */
const DIAGNOSTIC: ErrorSpec = { status: 422, summary: 'one problem of a pipeline file at one field (message and hint: src/spec/messages.ts)' };

/** The diagnostics as catalogue entries, so the server finds a status for every spec code. */
export function diagnosticCatalogue(): ErrorCatalogue {
  return Object.fromEntries(Object.keys(MESSAGES).map((code) => [code, DIAGNOSTIC]));
}
