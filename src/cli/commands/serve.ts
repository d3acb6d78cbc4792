/** `berth serve` (and `npm start`, which adds --demo): the long-running server. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type BerthServer } from '../../server/index.ts';
import { colors } from '../output.ts';

export function defaultDataDir(): string {
  return process.env.BERTH_DATA_DIR ? resolve(process.env.BERTH_DATA_DIR) : join(homedir(), '.berth');
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Berth server: API, login, service proxy and UI on one port')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10), 8765)
    .option('--data-dir <dir>', 'where Berth keeps its database, logs and the shared data directory (default: BERTH_DATA_DIR or ~/.berth)')
    .option('--runtime <runtime>', 'local | docker | kubernetes | auto (docker when an engine answers, else local)', 'auto')
    .option('--docker-host <url>', 'engine socket, e.g. unix:///run/podman/podman.sock (default: DOCKER_HOST)')
    .option('--demo', 'register the bundled demo project (copied into the data directory once)')
    .option('--trust-proxy', 'behind a TLS-terminating reverse proxy (an Ingress): pass its X-Forwarded-Proto/-Host on to services (default: BERTH_TRUST_PROXY=1)')
    .action(async function serveAction(options: {
      host: string;
      port: number;
      dataDir?: string;
      runtime: 'local' | 'docker' | 'kubernetes' | 'auto';
      dockerHost?: string;
      demo?: boolean;
      trustProxy?: boolean;
    }) {
      const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
      const server = await startServer({
        host: options.host,
        port: options.port,
        dataDir,
        runtime: options.runtime,
        ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}),
        trustProxy: Boolean(options.trustProxy) || process.env.BERTH_TRUST_PROXY === '1',
        logger: (await import('pino')).default({ level: process.env.BERTH_LOG_LEVEL ?? 'warn' }),
      });
      if (options.demo) await registerDemo(server, dataDir);
      printBanner(server, dataDir, Boolean(options.demo));
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.stderr.write('\nstopping the server (services keep running; the next start adopts them)\n');
          void server.close().then(resolveStop);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

async function registerDemo(server: BerthServer, dataDir: string): Promise<void> {
  if (server.store.findProject('demo')) return;
  // A copy left from an earlier data directory is registered again rather than overwritten.
  const kept = join(dataDir, 'projects', 'demo');
  if (existsSync(kept)) await server.projects.add(kept, 'demo');
  else await server.projects.create('demo', 'demo');
}

function printBanner(server: BerthServer, dataDir: string, demo: boolean): void {
  const c = colors;
  const lines = [
    '',
    `${c.bold(c.green('Berth is running'))} at ${c.cyan(server.url)}`,
    `  runtime:   ${server.runtimeDescription}`,
    `  data dir:  ${dataDir}`,
  ];
  if (server.loginToken) lines.push(`  ${c.bold('open')}       ${c.cyan(`${server.url}/login?token=${server.loginToken}`)}  (first start: this login link is shown once)`);
  else lines.push(`  ${c.bold('open')}       ${c.cyan(`${server.url}/login`)}`);
  if (server.authWarning) lines.push(c.yellow(`  ${server.authWarning}`));
  if (demo) {
    lines.push('', `  try the demo:  ${c.bold('npx berth session start demo demo.orchest --wait')}`);
    lines.push(`                 ${c.bold('npx berth session status')}   ${c.dim('|')}   ${c.bold('npx berth session stop')}`);
  }
  lines.push('', c.dim('  Ctrl-C stops the server; running services keep running and are adopted at the next start.'), '');
  process.stdout.write(lines.join('\n'));
}
