/** @module server: the HTTP server (API, login, proxy, UI). */
export { startServer, type BerthServer, type ServerOptions } from './app.ts';
export { chooseRuntime, pingEngine, dockerSockets, type RuntimeChoice } from './runtime-choice.ts';
