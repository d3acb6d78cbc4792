/** @module plan/browser: the naming rules the web UI shares with the server (browser-safe, no node:*). */
export { routeBasePath } from './naming.ts';
