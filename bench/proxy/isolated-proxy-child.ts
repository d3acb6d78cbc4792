/**
 * bench/proxy's "isolated local service" row: the standalone proxy (as `berth proxy`) whose routes
 * dial a Unix socket, as the server's proxy does for a service of an isolated local session
 * (docs/runtimes/local.md, "Isolated sessions"). argv: `--port P`, `--route PREFIX=URL` like
 * `berth proxy`, and `--socket PREFIX=PATH` to dial PATH for that prefix. Prints the URL.
 */
import { parseArgs } from 'node:util';
import { parseStaticRoutes, startStandaloneProxy } from '../../src/proxy/index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    route: { type: 'string', multiple: true, default: [] },
    socket: { type: 'string', multiple: true, default: [] },
  },
});
const sockets = new Map(values.socket.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
const routes = parseStaticRoutes(values.route).map((route) => {
  const socketPath = sockets.get(route.basePath);
  return socketPath && route.target ? { ...route, target: { ...route.target, socketPath } } : route;
});
const proxy = await startStandaloneProxy({ host: '127.0.0.1', port: Number(values.port), routes });
process.stdout.write(`listening on ${proxy.url}\n`);
process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
