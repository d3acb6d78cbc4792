/**
 * The spec layer's codes, each declared once with its words. Two kinds:
 * - SpecError codes (SPEC_CODES): a pipeline file that cannot be read, validated or written as a whole.
 * - diagnostics (MESSAGES in ./messages.ts, with their message and hint): one problem at one field,
 *   reported inside BERTH_SPEC_INVALID or a validation answer, never with a status of their own;
 *   the few also thrown alone (THROWN_DIAGNOSTIC_CODES) answer as unacceptable content, 422, and
 *   a SpecError of such a code says what the diagnostic says.
 */
import { defineError, type ErrorCatalogue, type ErrorSpec } from '../shared/index.ts';
import { MESSAGES, type DiagnosticEntry, type MessageContext } from './messages.ts';
import type { Diagnostic } from './types.ts';

export const SPEC_CODES = {
  BERTH_SPEC_INVALID: defineError({
    status: 422,
    summary: 'the pipeline has errors, so it is not written or used (details: the diagnostics)',
    /** `errors`: the error diagnostics (at least one); the first one's message and hint stand for them all. */
    message: ({ path, errors }: { path: string; errors: readonly Diagnostic[] }) =>
      `${path}: not written, ${errors.length} problem${errors.length === 1 ? '' : 's'}; first: ${errors[0]?.message ?? ''}`,
    hint: ({ errors }) => errors[0]?.hint ?? 'the details list every problem',
  }),
  BERTH_SPEC_CHANGED_ON_DISK: defineError({
    status: 409,
    summary: 'the pipeline file changed on disk since it was read; an edit would overwrite those changes',
    message: ({ path }: { path: string }) => `${path} changed on disk since it was read; not overwriting those changes`,
    hint: () => 'reload the pipeline, re-apply your edit and save again',
  }),
  BERTH_SPEC_TEMPLATE_UNKNOWN: defineError({
    status: 422,
    summary: 'there is no service template with this id',
    /** `templates`: the ids there are. */
    message: ({ id }: { id: string; templates: readonly string[] }) => `there is no service template "${id}"`,
    hint: ({ templates }) => `use one of: ${templates.join(', ')}`,
  }),
  BERTH_SPEC_NAME_EXHAUSTED: defineError({
    status: 409,
    summary: 'the pipeline already has 100 services named like the one to add',
    message: ({ base }: { base: string }) => `there are already 100 services named like "${base}"`,
    hint: () => 'rename or remove some of them, or give the new service another name',
  }),
  BERTH_SPEC_READ_FAILED: defineError({
    status: 500,
    summary: 'the pipeline file cannot be read (missing, not a file, no permission)',
    /**
     * `reason`: the system's. `missing`: whether the file does not exist (as a loader tells), unsaid
     * by a caller that reports every failure alike; `writing`: read to write it back (serialize.ts).
     */
    message: ({ path, reason, missing, writing }: { path: string; reason: string; missing?: boolean; writing?: boolean }) =>
      writing ? `cannot read ${path} before writing it: ${reason}` : `cannot read pipeline file ${path}: ${missing ? 'no such file' : reason}`,
    hint: ({ missing, writing }) => (writing || missing === false ? 'check the file permissions' : 'check the path; pipeline files end in .orchest'),
  }),
  BERTH_SPEC_WRITE_FAILED: defineError({
    status: 500,
    summary: 'the pipeline file cannot be written (its directory is missing or not writable)',
    message: ({ path, reason }: { path: string; reason: string }) => `cannot write ${path}: ${reason}`,
    hint: () => 'check that the directory exists and is writable',
  }),
} as const satisfies ErrorCatalogue;

/** Diagnostics a SpecError may carry as its own code: the same cause as the diagnostic, so the same code. */
export const THROWN_DIAGNOSTIC_CODES = ['BERTH_SPEC_VERSION_UNKNOWN'] as const;

/** A diagnostic as a catalogue entry: its own message and hint; thrown alone, it says the file's content is unacceptable. */
function diagnosticSpec(entry: DiagnosticEntry): ErrorSpec<MessageContext> {
  return {
    status: 422,
    summary: 'one problem of a pipeline file at one field (message and hint: src/spec/messages.ts)',
    message: entry.message,
    hint: entry.hint,
  };
}

/** The diagnostics as catalogue entries, so the server finds a status (and the words) for every spec code. */
export function diagnosticCatalogue(): Readonly<Record<string, ErrorSpec<MessageContext>>> {
  return Object.fromEntries(Object.entries(MESSAGES).map(([code, entry]) => [code, diagnosticSpec(entry)]));
}

/** The thrown diagnostics with the words of their diagnostic (the type asks for one per THROWN_DIAGNOSTIC_CODES). */
const THROWN_DIAGNOSTICS: Readonly<Record<(typeof THROWN_DIAGNOSTIC_CODES)[number], ErrorSpec<MessageContext>>> = {
  BERTH_SPEC_VERSION_UNKNOWN: diagnosticSpec(MESSAGES.BERTH_SPEC_VERSION_UNKNOWN),
};

/** SpecError's catalogue: its own codes and the diagnostics it throws alone. */
export const SPEC_ERROR_CATALOGUE = { ...SPEC_CODES, ...THROWN_DIAGNOSTICS } as const satisfies ErrorCatalogue;

export type SpecCode = keyof typeof SPEC_ERROR_CATALOGUE;
