/**
 * Validation as the user types, in the browser, with the spec layer's validator itself: the same
 * zod schema and the same messages `berth validate` and the server's save print. (Imported from
 * src/spec/browser.ts, not src/spec/index.ts, which also exports the Node-only file I/O.)
 */
import { z } from 'zod';
import { provideZod, validatePipeline, type Diagnostic } from '../../../src/spec/browser.ts';

provideZod(z);

/** `runtime`: the server's, so a draft gets the rules the server will apply when it runs (PipelineDocument.runtime). */
export function validateDraft(spec: unknown, file: string, runtime: string | null): Diagnostic[] {
  return validatePipeline(spec, file, runtime ? { runtime } : {});
}
