/**
 * @module spec/browser: the part of spec the web UI bundles (web/src may import server code only
 * through `src/<feature>/browser.ts`). Types, validation and path formatting only: nothing here
 * may reach node:* (the UI validates a draft exactly as the server will, without a round trip).
 */
export type * from './types.ts';
export { validatePipeline, type ValidateOptions } from './validate.ts';
export { provideZod } from './schema.ts';
export { formatPath } from './path.ts';
