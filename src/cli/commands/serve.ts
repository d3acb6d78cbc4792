/** `berth serve` (and `npm start`, which adds --demo): the long-running server. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type BerthServer } from '../../server/index.ts';
import { loginLinkUrl } from '../../shared/index.ts';
import { CliError } from '../errors.ts';
import { acquireInstanceLock } from '../../store/index.ts';
import { humanLogDestination, usePrettyLogs, type LogFormat } from '../log-lines.ts';
import { colors } from '../output.ts';
import { removeServerInfo, writeServerInfo } from '../server-info.ts';

const DEFAULT_PORT = 8765;

export function defaultDataDir(): string {
  return process.env.BERTH_DATA_DIR ? resolve(process.env.BERTH_DATA_DIR) : join(homedir(), '.berth');
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Berth server: API, login, service proxy and UI on one port')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', `port to listen on; 0 picks a free one (default: BERTH_PORT or ${DEFAULT_PORT})`, (v) => parsePort(v, '--port'))
    .option('--data-dir <dir>', 'where Berth keeps its database, logs and the shared data directory (default: BERTH_DATA_DIR or ~/.berth)')
    .option('--runtime <runtime>', 'local | docker | kubernetes | auto (docker when an engine answers, else local)', 'auto')
    .option('--docker-host <url>', 'engine socket, e.g. unix:///run/podman/podman.sock (default: DOCKER_HOST)')
    .option('--demo', 'register the bundled demo project (copied into the data directory once)')
    .option('--log-format <format>', 'auto (readable lines on a terminal, JSON otherwise) | pretty | json', 'auto')
    .option('--service-domain <domain>', 'serve each service on <port>-<name>.<session>.<domain> (a wildcard domain pointing at Berth), or off to keep services on this origin (default: BERTH_SERVICE_DOMAIN, else localhost when listening on loopback)')
    .option('--trust-proxy', 'behind a TLS-terminating reverse proxy (an Ingress): pass its X-Forwarded-Proto/-Host on to services (default: BERTH_TRUST_PROXY=1)')
    .option('--project-root <dir>', 'only directories inside DIR may be registered as projects (repeatable; system directories and the data directory are always refused)', collectRoots, [])
    .action(async function serveAction(options: {
      host: string;
      port?: number;
      dataDir?: string;
      runtime: 'local' | 'docker' | 'kubernetes' | 'auto';
      dockerHost?: string;
      demo?: boolean;
      trustProxy?: boolean;
      serviceDomain?: string;
      logFormat: string;
      projectRoot: string[];
    }) {
      const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
      const port = options.port ?? (process.env.BERTH_PORT ? parsePort(process.env.BERTH_PORT, 'BERTH_PORT') : DEFAULT_PORT);
      const logFormat = parseLogFormat(options.logFormat);
      const { default: pino } = await import('pino');
      const level = process.env.BERTH_LOG_LEVEL ?? 'warn';
      const logger = usePrettyLogs(logFormat, process.stdout) ? pino({ level }, humanLogDestination(process.stdout)) : pino({ level });
      // Before the database opens: a second Berth on this directory would delete the first one's services.
      const lock = acquireInstanceLock(dataDir);
      if (lock.warning) logger.warn(lock.warning);
      process.once('exit', lock.release);
      const server = await startServer({
        host: options.host,
        port,
        dataDir,
        runtime: options.runtime,
        ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}),
        trustProxy: Boolean(options.trustProxy) || process.env.BERTH_TRUST_PROXY === '1',
        ...(options.serviceDomain === undefined ? {} : { serviceDomain: options.serviceDomain }),
        projectRoots: options.projectRoot.map((root) => resolve(root)),
        logger,
      });
      const listening = Number(new URL(server.url).port);
      writeServerInfo(dataDir, { url: localUrl(options.host, listening), pid: process.pid, port: listening, started: new Date().toISOString() });
      if (options.demo) await registerDemo(server, dataDir);
      printBanner(server, dataDir, Boolean(options.demo));
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.stderr.write('\nstopping the server (services keep running; the next start adopts them)\n');
          removeServerInfo(dataDir);
          void server.close().then(() => {
            lock.release();
            resolveStop();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function collectRoots(value: string, previous: string[]): string[] {
  return [...previous, value];
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
    ...(server.sessions.runtime.isolation ? [`  isolation: ${server.sessions.runtime.isolation.mode} (${server.sessions.runtime.isolation.reason})`] : []),
    `  data dir:  ${dataDir}`,
  ];
  if (server.loginToken) {
    lines.push(`  ${c.bold('open')}       ${c.cyan(loginLinkUrl(server.url, server.loginToken))}`);
    lines.push(c.dim('             first start: this sign-in link works for 24 hours; `npx berth login-link` prints a new one'));
  } else {
    lines.push(`  ${c.bold('open')}       ${c.cyan(`${server.url}/login`)}  ${c.dim('(no password yet? `npx berth login-link` prints a sign-in link)')}`);
  }
  if (server.serviceDomain.mode === 'origins') lines.push(`  services:  ${c.cyan(`<port>-<name>.<session>.${server.serviceDomain.domain}`)} ${c.dim('(each on its own origin)')}`);
  else lines.push(c.yellow(`  services share Berth's origin: ${server.serviceDomain.reason}`));
  if (server.authWarning) lines.push(c.yellow(`  ${server.authWarning}`));
  if (demo) {
    // The CLI finds this server through <data-dir>/server.json; another data dir has to be named.
    const where = dataDir === join(homedir(), '.berth') && !process.env.BERTH_DATA_DIR ? '' : ` --data-dir ${quoteArg(dataDir)}`;
    lines.push('', `  try the demo:  ${c.bold(`npx berth session start demo demo.orchest --wait${where}`)}`);
    lines.push(`                 ${c.bold(`npx berth session status${where}`)}   ${c.dim('|')}   ${c.bold(`npx berth session stop demo demo.orchest${where}`)}`);
  }
  lines.push('', c.dim('  Ctrl-C stops the server; running services keep running and are adopted at the next start.'), '');
  process.stdout.write(lines.join('\n'));
}

/** The address this machine's CLI should use: a wildcard listen address is reached on loopback. */
function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `http://127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `http://[::1]:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function quoteArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

function parsePort(value: string, where: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new CliError('BERTH_CLI_USAGE', { message: `${where}: ${JSON.stringify(value)} is not a port number`, hint: 'give a number from 1 to 65535, or 0 for any free port' });
  }
  return port;
}

function parseLogFormat(value: string): LogFormat {
  if (value === 'auto' || value === 'pretty' || value === 'json') return value;
  throw new CliError('BERTH_CLI_USAGE', { message: `--log-format: ${JSON.stringify(value)} is not a log format`, hint: 'use auto, pretty or json' });
}
