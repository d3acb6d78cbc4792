/** `berth proxy`: the service proxy alone with static routes (benchmarks, debugging). */
import { InvalidArgumentError, type Command } from 'commander';
import { parseStaticRoutes, startStandaloneProxy } from '../../proxy/index.ts';
import { colors as c, printJson } from '../output.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return port;
}

export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description("run only the service proxy (Berth's data plane) with static routes: no login, every route ready")
    .requiredOption('--port <port>', 'port to listen on (0 = any free port, printed at start)', parsePort)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--route <PREFIX=URL>', 'route /service-…_<port> or /pbp-service-…_<port> to http://HOST:PORT (repeatable)', collect, [])
    .option('--preserve <PREFIX>', 'forward the full path for this prefix instead of stripping it (repeatable)', collect, [])
    .option('--json', 'print the address and routes as JSON')
    .addHelpText('after', '\nExample:\n  berth proxy --port 8080 --route /service-app-dev_8501=http://127.0.0.1:8501 --preserve /service-app-dev_8501\n')
    .action(async function proxyAction(options: { port: number; host: string; route: string[]; preserve: string[]; json?: boolean }) {
      const routes = parseStaticRoutes(options.route, options.preserve);
      const proxy = await startStandaloneProxy({ host: options.host, port: options.port, routes });
      if (options.json) {
        printJson({ url: proxy.url, routes: routes.map((r) => ({ url: `${proxy.url}${r.basePath}/`, target: `http://${r.target?.host}:${r.target?.port}`, stripPrefix: r.stripPrefix })) });
      } else {
        process.stdout.write(`berth proxy listening on ${proxy.url}\n`);
        for (const r of routes) {
          process.stdout.write(`  ${c.cyan(`${proxy.url}${r.basePath}/`)} -> http://${r.target?.host}:${r.target?.port} ${c.dim(r.stripPrefix ? '(prefix stripped)' : '(prefix preserved)')}\n`);
        }
        if (routes.length === 0) process.stdout.write(c.yellow('  no routes: add some with --route PREFIX=URL\n'));
      }
      await new Promise<void>((resolveStop) => {
        const stop = () => void proxy.close().then(resolveStop);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
