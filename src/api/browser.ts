/**
 * @module api/browser: the API contract for the web UI. The whole feature is browser-safe (types
 * and a URL builder, nothing touching node:*), so this entry is the index under the name web/src
 * may import (scripts/eslint-boundaries.js).
 */
export * from './index.ts';
