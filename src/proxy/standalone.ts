/**
 * `berth proxy`: the data plane alone, with static routes (ready, no login), for benchmarks and
 * debugging. It runs the same createProxy as `berth serve`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, PROXY_CODES } from './errors.ts';
import { createProxy, prepareServer } from './proxy.ts';
import { RouteTable, serviceSegment, type ProxyRoute } from './route-table.ts';

export interface StandaloneProxyOptions {
  host: string;
  port: number;
  routes: ProxyRoute[];
}

export interface StandaloneProxy {
  url: string;
  server: Server;
  table: RouteTable;
  close(): Promise<void>;
}

/** `PREFIX=URL` arguments (and `--preserve PREFIX`) to ready routes; throws ProxyError naming the bad argument. */
export function parseStaticRoutes(routeArgs: string[], preserveArgs: string[] = []): ProxyRoute[] {
  const normalise = (prefix: string) => (prefix.startsWith('/') ? prefix : `/${prefix}`).replace(/\/+$/, '');
  const preserve = new Set(preserveArgs.map(normalise));
  const routes = routeArgs.map(function parseRoute(argument): ProxyRoute {
    const eq = argument.indexOf('=');
    if (eq <= 0) throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'no-equals', argument });
    const basePath = normalise(argument.slice(0, eq));
    const found = serviceSegment(basePath);
    if (!found || found.end !== basePath.length) throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'prefix', argument, prefix: basePath });
    const value = argument.slice(eq + 1);
    if (!value.includes('://')) throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'no-scheme', argument, upstream: value });
    let url: URL;
    try {
      url = new URL(value);
    } catch (cause) {
      throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'not-a-url', argument, upstream: value }, { cause });
    }
    if (url.protocol !== 'http:') throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'protocol', argument, protocol: url.protocol });
    if (url.pathname !== '/' || url.search) throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'upstream-path', argument });
    const targetPort = url.port ? Number(url.port) : 80;
    const portInName = /_(\d+)$/.exec(basePath);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return {
      basePath,
      stripPrefix: !preserve.has(basePath),
      requiresAuthentication: false,
      sessionUuid: 'static',
      service: basePath.slice(1),
      port: portInName ? Number(portInName[1]) : targetPort,
      state: 'ready',
      target: { host, port: targetPort },
    };
  });
  const known = new Set(routes.map((r) => r.basePath));
  for (const prefix of preserve) {
    if (!known.has(prefix)) {
      throw new ProxyError(PROXY_CODES.routeInvalid, { problem: 'preserve', prefix });
    }
  }
  return routes;
}

export async function startStandaloneProxy(options: StandaloneProxyOptions): Promise<StandaloneProxy> {
  const table = new RouteTable();
  for (const route of options.routes) table.set(route);
  const proxy = createProxy({ table });
  const server = createServer(function standaloneRequest(req, res) {
    if (proxy.handleRequest(req, res)) return;
    const body = `not a service path: ${req.url ?? ''}\nroutes:\n${table.list().map((r) => `  ${r.basePath}/`).join('\n')}\n`;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  prepareServer(server);
  server.on('upgrade', function standaloneUpgrade(req, socket, head) {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((cause: NodeJS.ErrnoException) => {
    throw new ProxyError(PROXY_CODES.listenFailed, { host: options.host, port: options.port, error: cause.code ?? cause.message }, { cause });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    table,
    async close() {
      await proxy.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
