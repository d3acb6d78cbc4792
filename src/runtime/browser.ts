/** @module runtime/browser: the log start marker, which the web UI's log viewer recognises (browser-safe, no node:*). */
export { isStartMarker } from './log-marker.ts';
