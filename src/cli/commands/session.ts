/**
 * `berth session start|stop|status|restart|apply` and `berth logs`. A session is named by
 * PROJECT PIPELINE, by --session UUID, or left out when exactly one session is active.
 */
import type { Command } from 'commander';
import { SessionFollower, type BerthClient, type ServiceInfo, type SessionInfo } from '../../sdk/index.ts';
import { CliError } from '../errors.ts';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { CliExit, colors as c, printJson } from '../output.ts';

interface SessionOptions extends ConnectOptions {
  session?: string;
  json?: boolean;
}

export function registerSession(program: Command): void {
  const session = program.command('session').description('start, inspect and stop the services of a pipeline');

  addConnectOptions(
    session
      .command('start')
      .description('start the interactive session of a pipeline')
      .argument('<project>', 'project name or uuid')
      .argument('<pipeline>', 'pipeline file (relative to the project), uuid or name')
      .option('--wait', 'follow the start until every service is ready or one fails')
      .option('--timeout <seconds>', 'with --wait: give up after this long', (v) => Number(v), 300)
      .option('--json', 'machine-readable output'),
  ).action(async function sessionStart(project: string, pipeline: string, options: SessionOptions & { wait?: boolean; timeout: number }) {
    const client = connect(options);
    const { session: started } = await client.startSession(project, pipeline);
    const final = options.wait ? await waitForSession(client, started.uuid, options.timeout * 1000, !options.json) : started;
    if (options.json) printJson({ session: final });
    else if (!options.wait) printSession(final, client.url);
    if (final.status === 'failed') throw new CliExit(3);
  });

  addConnectOptions(
    session
      .command('stop')
      .description('stop a session: every service and all its state are removed')
      .argument('[project]')
      .argument('[pipeline]')
      .option('--session <uuid>', 'session uuid')
      .option('--json', 'machine-readable output'),
  ).action(async function sessionStop(project: string | undefined, pipeline: string | undefined, options: SessionOptions) {
    const client = connect(options);
    const target = await resolveSession(client, project, pipeline, options.session);
    const { session: stopped } = await client.stopSession(target.uuid);
    if (options.json) printJson({ session: stopped });
    else process.stdout.write(`${c.green('stopped')} session ${target.uuid} (${target.pipelinePath})\n`);
  });

  addConnectOptions(
    session
      .command('status')
      .description('sessions and the state of each service')
      .argument('[project]')
      .argument('[pipeline]')
      .option('--session <uuid>', 'session uuid')
      .option('--all', 'include stopped sessions')
      .option('--json', 'machine-readable output'),
  ).action(async function sessionStatus(
    project: string | undefined,
    pipeline: string | undefined,
    options: SessionOptions & { all?: boolean },
  ) {
    const client = connect(options);
    const health = await client.health();
    let sessions: SessionInfo[];
    if (project || options.session) sessions = [await resolveSession(client, project, pipeline, options.session)];
    else sessions = (await client.listSessions({ all: Boolean(options.all) })).sessions;
    if (options.json) {
      printJson({ runtime: health.runtimeDescription, sessions });
      return;
    }
    process.stdout.write(`${c.dim('runtime:')} ${health.runtimeDescription}\n`);
    if (sessions.length === 0) process.stdout.write('no active sessions; start one with `berth session start PROJECT PIPELINE`\n');
    for (const s of sessions) printSession(s, client.url);
  });

  addConnectOptions(
    session
      .command('restart')
      .description('restart one service (or all) without touching the others')
      .argument('[service]', 'service name; all services when left out')
      .option('--session <uuid>', 'session uuid (default: the only active session)')
      .option('--project <project>')
      .option('--pipeline <pipeline>')
      .option('--no-wait', 'return at once instead of following the restart')
      .option('--json', 'machine-readable output'),
  ).action(async function sessionRestart(
    service: string | undefined,
    options: SessionOptions & { project?: string; pipeline?: string; wait: boolean },
  ) {
    const client = connect(options);
    const target = await resolveSession(client, options.project, options.pipeline, options.session);
    await client.restartSession(target.uuid, service);
    const final = options.wait ? await waitForSession(client, target.uuid, 300_000, !options.json) : (await client.getSession(target.uuid)).session;
    if (options.json) printJson({ session: final });
    if (final.status === 'failed') throw new CliExit(3);
  });

  addConnectOptions(
    session
      .command('apply')
      .description('apply the edited pipeline file: restart only what changed, add new services, remove deleted ones')
      .option('--session <uuid>', 'session uuid (default: the only active session)')
      .option('--project <project>')
      .option('--pipeline <pipeline>')
      .option('--no-wait', 'return at once instead of following the changes')
      .option('--json', 'machine-readable output'),
  ).action(async function sessionApply(options: SessionOptions & { project?: string; pipeline?: string; wait: boolean }) {
    const client = connect(options);
    const target = await resolveSession(client, options.project, options.pipeline, options.session);
    const { diff } = await client.applySession(target.uuid);
    if (!options.json) {
      const part = (label: string, names: string[]) => (names.length ? `${label} ${names.join(', ')}` : '');
      const summary = [part('added', diff.added), part('removed', diff.removed), part('restarted', diff.changed)].filter(Boolean);
      process.stdout.write(`${summary.length ? summary.join('; ') : 'nothing changed'}${diff.unchanged.length ? c.dim(`; untouched: ${diff.unchanged.join(', ')}`) : ''}\n`);
    }
    const final = options.wait ? await waitForSession(client, target.uuid, 300_000, !options.json) : (await client.getSession(target.uuid)).session;
    if (options.json) printJson({ diff, session: final });
    if (final.status === 'failed') throw new CliExit(3);
  });

  addConnectOptions(
    program
      .command('logs')
      .description("print a service's log (kept across restarts until the session stops)")
      .argument('<service>')
      .option('-f, --follow', 'keep printing new lines')
      .option('-n, --tail <lines>', 'only the last lines', (v) => Number(v))
      .option('--session <uuid>', 'session uuid (default: the only active session)')
      .option('--project <project>')
      .option('--pipeline <pipeline>'),
  ).action(async function logsAction(
    service: string,
    options: SessionOptions & { follow?: boolean; tail?: number; project?: string; pipeline?: string },
  ) {
    const client = connect(options);
    const target = await resolveSession(client, options.project, options.pipeline, options.session);
    const tail = options.tail === undefined ? {} : { tail: options.tail };
    if (!options.follow) {
      process.stdout.write(await client.logs(target.uuid, service, tail));
      return;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    try {
      const stream = await client.followLogs(target.uuid, service, { ...tail, signal: controller.signal });
      for await (const chunk of stream) process.stdout.write(chunk);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  });
}

/** PROJECT PIPELINE, --session, or the only active session. */
export async function resolveSession(
  client: BerthClient,
  project: string | undefined,
  pipeline: string | undefined,
  sessionUuid: string | undefined,
): Promise<SessionInfo> {
  if (sessionUuid) return (await client.getSession(sessionUuid)).session;
  const { sessions } = await client.listSessions(project ? { project } : {});
  const matches = pipeline
    ? sessions.filter((s) => s.pipelinePath === pipeline || s.pipelinePath === `${pipeline}.orchest` || s.pipelineUuid === pipeline)
    : sessions;
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) throw new CliError('BERTH_CLI_NO_SESSION', { project, pipeline });
  throw new CliError('BERTH_CLI_AMBIGUOUS_SESSION', { matches: matches.length, sessions });
}

const STATUS_COLOR: Record<string, (s: string) => string> = {
  ready: c.green,
  running: c.green,
  starting: c.yellow,
  pending: c.dim,
  stopping: c.yellow,
  failed: c.red,
  exited: c.red,
  stopped: c.dim,
};

function paint(status: string): string {
  return (STATUS_COLOR[status] ?? ((s: string) => s))(status);
}

/**
 * Follows a session until it settles, printing each service's transitions as they happen. It polls
 * the session's updates: only the services that changed since the last poll come back (a
 * 1,000-service session is 0.7 MB whole).
 */
async function waitForSession(client: BerthClient, sessionUuid: string, timeoutMs: number, print: boolean): Promise<SessionInfo> {
  const seen = new Map<string, string>();
  const started = Date.now();
  const follower = new SessionFollower(sessionUuid);
  for (;;) {
    const update = await client.call('sessionUpdates', follower.params);
    follower.take(update);
    const session = follower.session!;
    if (print) {
      for (const service of update.session.services) {
        const key = `${service.status}:${service.attempt}`;
        if (seen.get(service.name) === key) continue;
        seen.set(service.name, key);
        process.stdout.write(`${serviceLine(service, client.url)}\n`);
        if (service.status === 'failed' || service.status === 'exited') printFailure(service);
      }
    }
    if (session.status !== 'starting' && session.status !== 'stopping') {
      if (print) process.stdout.write(`session ${session.uuid} ${paint(session.status)}${session.reason ? `: ${session.reason}` : ''}\n`);
      return session;
    }
    if (Date.now() - started > timeoutMs) {
      if (print) process.stdout.write(c.yellow(`still ${session.status} after ${Math.round(timeoutMs / 1000)} s; check \`berth session status\`\n`));
      return session;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service's own start to the first readiness check that passed, as the server measured it. */
function readyIn(service: ServiceInfo): string {
  if (service.status !== 'ready' || !service.startedAt || !service.readyAt) return '';
  const ms = Date.parse(service.readyAt) - Date.parse(service.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? c.dim(` (${(ms / 1000).toFixed(1)} s)`) : '';
}

function serviceLine(service: ServiceInfo, baseUrl: string): string {
  const elapsed = readyIn(service);
  const where =
    service.status === 'ready'
      ? service.urls.length
        ? service.urls.map((u) => c.cyan(`${baseUrl}${u}`)).join(' ')
        : c.dim(`${service.internalHostname}:${service.ports.join(',')}${service.exposed ? '' : ' (not exposed)'}`)
      : service.reason
        ? service.reason
        : '';
  return `  ${service.name.padEnd(20)} ${paint(service.status).padEnd(18)}${elapsed} ${where}`;
}

function printFailure(service: ServiceInfo): void {
  if (service.details?.hint) process.stdout.write(`    ${c.cyan('hint:')} ${service.details.hint}\n`);
  const lines = service.details?.lastLogLines ?? [];
  if (lines.length) {
    process.stdout.write(c.dim(`    last log lines of ${service.name}:\n`));
    for (const line of lines.slice(-10)) process.stdout.write(c.dim(`      ${line}\n`));
  }
}

function printSession(session: SessionInfo, baseUrl: string): void {
  process.stdout.write(
    `session ${c.bold(session.uuid)} ${session.pipelinePath} ${paint(session.status)}${session.reason ? `: ${session.reason}` : ''}\n`,
  );
  for (const service of session.services) {
    process.stdout.write(`${serviceLine(service, baseUrl)}\n`);
    if (service.status === 'failed' || service.status === 'exited') printFailure(service);
  }
  for (const warning of session.warnings) process.stdout.write(c.yellow(`  warning: ${warning}\n`));
}
