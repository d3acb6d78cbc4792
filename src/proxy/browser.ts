/** @module proxy/browser: how a service host is keyed, shared with the web UI (browser-safe, no node:*). */
export { serviceHostKey } from './service-hosts.ts';
