/**
 * bench/proxy's isolated rows: the standalone proxy (as `berth proxy`) whose routes reach a service
 * of an isolated local session (docs/runtimes/local.md, "Isolated sessions"). argv: `--port P`,
 * `--route PREFIX=URL` like `berth proxy`, `--socket PREFIX=PATH` to dial the forwarder at PATH for
 * that prefix, and `--dial STATE_DIR:SESSION` to open those routes' connections with the session's
 * dialer instead, as `berth serve` does. Prints the URL.
 */
import { parseArgs } from 'node:util';
import { parseStaticRoutes, startStandaloneProxy, type ProxyRoute } from '../../src/proxy/index.ts';
import { SessionDialers } from '../../src/runtime/local/isolation/dialer.ts';
import { SessionNamespaces } from '../../src/runtime/local/isolation/holder.ts';
import { resolveIsolation } from '../../src/runtime/local/isolation/mode.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    route: { type: 'string', multiple: true, default: [] },
    socket: { type: 'string', multiple: true, default: [] },
    dial: { type: 'string' },
  },
});

/** With --dial, connections of a route behind a forwarder socket come from the session's dialer. */
function dialing(): ((route: ProxyRoute) => ProxyRoute) | undefined {
  if (!values.dial) return undefined;
  const [stateDir, session] = [values.dial.slice(0, values.dial.lastIndexOf(':')), values.dial.slice(values.dial.lastIndexOf(':') + 1)];
  const namespaces = new SessionNamespaces(stateDir, resolveIsolation('namespace', 'bench/proxy'));
  const holder = namespaces.live(session);
  if (!holder) throw new Error(`--dial ${values.dial}: no live holder of session ${session}`);
  const dialers = new SessionDialers();
  return (route) => {
    const target = route.target!;
    return { ...route, target: { ...target, connect: () => dialers.connect(session, () => namespaces.enterArgv(holder, '/'), target.port) } };
  };
}
const dial = dialing();
const sockets = new Map(values.socket.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
const routes = parseStaticRoutes(values.route).map((route) => {
  const socketPath = sockets.get(route.basePath);
  if (!socketPath || !route.target) return route;
  const viaSocket = { ...route, target: { ...route.target, socketPath } };
  return dial ? dial(viaSocket) : viaSocket;
});
const proxy = await startStandaloneProxy({ host: '127.0.0.1', port: Number(values.port), routes });
process.stdout.write(`listening on ${proxy.url}\n`);
process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
