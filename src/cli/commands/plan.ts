/**
 * `berth plan FILE`: what a session of this pipeline would run, offline (no server, no runtime):
 * host names, argv, env (inherited values masked), mounts, ports, URLs and readiness per service.
 */
import type { Command } from 'commander';
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  ENVIRONMENT_IMAGE_PREFIX,
  maskEnv,
  PlanError,
  planSession,
  projectUuidForPath,
  sdkServiceView,
  serviceUrlPaths,
  type ReadinessPlan,
  type ServicePlan,
  type SessionContext,
  type SessionPlan,
} from '../../plan/index.ts';
import { loadPipelineFile, type Diagnostic, type PipelineSpec, type Scope } from '../../spec/index.ts';
import { CliError } from '../errors.ts';
import { CliExit, colors as c, printJson, renderError } from '../output.ts';

interface PlanOptions {
  sessionType: string;
  runUuid?: string;
  projectUuid?: string;
  projectDir?: string;
  dataDir?: string;
  env: string[];
  environmentImage: string[];
  json?: boolean;
}

/** Offline planning has no install of its own: objects are labelled as this id. */
const OFFLINE_INSTALLATION_ID = 'offline-plan';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what a session of a pipeline would run: host names, argv, env, mounts, URLs, readiness (offline)')
    .argument('<file>', 'pipeline file (.orchest)')
    .option('--session-type <type>', 'interactive | noninteractive (a job run)', 'interactive')
    .option('--run-uuid <uuid>', 'job run uuid: the session uuid of a noninteractive session')
    .option('--project-uuid <uuid>', "project uuid (default: derived from the project directory's real path)")
    .option('--project-dir <dir>', "project directory (default: the file's directory)")
    .option('--data-dir <dir>', 'shared data directory mounted as /data (default: $BERTH_DATA_DIR/data or ~/.berth/data)')
    .option('--env <NAME=VALUE>', 'a project/pipeline (or job) env var services may inherit; NAME alone takes it from your environment (repeatable)', collect, [])
    .option('--environment-image <UUID=IMAGE>', 'the built image of an environment used as `environment@UUID` (repeatable)', collect, [])
    .option('--json', 'machine-readable output (inherited values masked)')
    .action(async function planAction(file: string, options: PlanOptions) {
      const { plan, loadedFrom, diagnostics } = await planFile(file, options).catch((error: unknown) => {
        const exitCode = exitCodeFor(error);
        if (exitCode === undefined) throw error;
        process.stderr.write(`${renderError(error, Boolean(options.json))}\n`);
        throw new CliExit(exitCode);
      });
      if (options.json) {
        printJson({
          file: loadedFrom.file,
          sourceVersion: loadedFrom.sourceVersion,
          migrated: loadedFrom.migrated,
          diagnostics,
          plan: maskPlan(plan),
          sdk: Object.fromEntries(plan.services.map((s) => [s.name, sdkServiceView(s)])),
        });
        return;
      }
      for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stdout.write(renderPlan(plan, loadedFrom));
      for (const warning of plan.warnings) process.stderr.write(`${c.yellow('warning')} ${warning}\n`);
    });
}

/**
 * A file that loads but cannot be planned (unbalanced quotes, …) is wrong input like an invalid
 * one: 1. The CLI's own errors (bad flags): their exit code, 2 for usage. Anything else is left to main (3).
 */
function exitCodeFor(error: unknown): number | undefined {
  if (error instanceof PlanError) return 1;
  if (error instanceof CliError) return error.exitCode;
  return undefined;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface LoadedFrom {
  file: string;
  sourceVersion: string;
  migrated: boolean;
  projectDir: string;
  dataDir: string;
}

async function planFile(file: string, options: PlanOptions): Promise<{ plan: SessionPlan; loadedFrom: LoadedFrom; diagnostics: Diagnostic[] }> {
  const sessionType = parseSessionType(options.sessionType);
  const loaded = await loadPipelineFile(file);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.spec || errors.length > 0) {
    if (options.json) {
      process.stderr.write(`${JSON.stringify({ error: { code: 'BERTH_SPEC_INVALID', message: `${file} is not a valid pipeline file`, details: loaded.diagnostics } }, null, 2)}\n`);
    } else {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(`${c.red('error')} ${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} and run berth plan again\n`);
    }
    throw new CliExit(1);
  }
  const spec = loaded.spec;

  const realFile = await realpath(resolve(file));
  const projectDir = await realpath(resolve(options.projectDir ?? dirname(file)));
  const pipelinePath = relative(projectDir, realFile);
  if (pipelinePath.startsWith(`..${sep}`) || isAbsolute(pipelinePath)) {
    throw new CliError('BERTH_CLI_FILE_OUTSIDE_PROJECT', { file, projectDir });
  }
  const dataDir = resolve(options.dataDir ?? join(process.env.BERTH_DATA_DIR ? resolve(process.env.BERTH_DATA_DIR) : join(homedir(), '.berth'), 'data'));
  const { images, warnings } = environmentImages(spec, options.environmentImage);

  const ctx: SessionContext = {
    installationId: OFFLINE_INSTALLATION_ID,
    // A uuid derived from the real path: the same directory always plans to the same session uuid.
    projectUuid: options.projectUuid ?? projectUuidForPath(projectDir),
    pipelineUuid: spec.uuid,
    pipelinePath: pipelinePath.split(sep).join('/'),
    sessionType,
    ...(options.runUuid ? { runUuid: options.runUuid } : {}),
    projectDir,
    dataDir,
    userEnv: parseEnv(options.env),
    environmentImages: images,
  };
  const plan = planSession(spec, ctx);
  plan.warnings.push(...warnings);
  return {
    plan,
    loadedFrom: { file: realFile, sourceVersion: loaded.sourceVersion, migrated: loaded.migrated, projectDir, dataDir },
    diagnostics: loaded.diagnostics,
  };
}

function parseSessionType(value: string): Scope {
  if (value === 'interactive' || value === 'noninteractive') return value;
  throw new CliError('BERTH_CLI_USAGE', {
    message: `--session-type must be interactive or noninteractive, not "${value}"`,
    hint: 'interactive: the session you start by hand; noninteractive: the services of a job run (needs --run-uuid)',
  });
}

function parseEnv(assignments: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const name = eq === -1 ? assignment : assignment.slice(0, eq);
    const value = eq === -1 ? process.env[name] : assignment.slice(eq + 1);
    if (!name || value === undefined) {
      throw new CliError('BERTH_CLI_USAGE', {
        message: `--env ${assignment}: ${name ? `${name} is not set in your environment` : 'the name is empty'}`,
        hint: 'write --env NAME=VALUE, or --env NAME to take the value of NAME from your environment',
      });
    }
    env[name] = value;
  }
  return env;
}

/**
 * Offline, Berth cannot know which image an environment was built into. Images given with
 * --environment-image are used; the others stay `environment@<uuid>` in the plan, with a warning,
 * rather than failing the whole plan.
 */
function environmentImages(spec: PipelineSpec, given: string[]): { images: Record<string, string>; warnings: string[] } {
  const images: Record<string, string> = {};
  for (const pair of given) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new CliError('BERTH_CLI_USAGE', {
        message: `--environment-image ${pair}: expected UUID=IMAGE`,
        hint: 'e.g. --environment-image 9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50=berth-env-demo:3',
      });
    }
    images[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const warnings: string[] = [];
  for (const service of Object.values(spec.services ?? {})) {
    if (!service.image.startsWith(ENVIRONMENT_IMAGE_PREFIX)) continue;
    const uuid = service.image.slice(ENVIRONMENT_IMAGE_PREFIX.length);
    if (images[uuid]) continue;
    images[uuid] = service.image;
    warnings.push(
      `services.${service.name}.image: ${service.image} is resolved to its built image when a session starts; ` +
        `this offline plan shows it unresolved (pass --environment-image ${uuid}=IMAGE to pin one)`,
    );
  }
  return { images, warnings };
}

function maskPlan(plan: SessionPlan): SessionPlan {
  return { ...plan, services: plan.services.map((s) => ({ ...s, env: maskEnv(s.env) })) };
}

function formatDiagnostic(d: Diagnostic): string {
  const label = d.severity === 'error' ? c.red('error') : c.yellow('warning');
  const where = d.path ? `${d.file}: ${d.path}` : d.file;
  return `${label} ${c.dim(`[${d.code}]`)} ${where}: ${d.message}${d.hint ? `\n  ${c.cyan('hint:')} ${d.hint}` : ''}`;
}

function renderPlan(plan: SessionPlan, from: LoadedFrom): string {
  const lines: string[] = [];
  const version = from.migrated ? `version ${from.sourceVersion}, migrated in memory` : `version ${from.sourceVersion}`;
  lines.push(`${c.bold(from.file)} ${c.dim(`(${version})`)}`);
  lines.push(`${c.dim('session')}  ${plan.sessionType} ${plan.sessionUuid}`);
  lines.push(`${c.dim('project')}  ${plan.projectUuid}  ${from.projectDir}`);
  lines.push(`${c.dim('pipeline')} ${plan.pipelineUuid}  ${plan.pipelinePath}`);
  lines.push(`${c.dim('data')}     ${from.dataDir}`);
  if (plan.services.length === 0) lines.push('', `no services run in ${plan.sessionType} sessions of this pipeline`);
  for (const service of plan.services) lines.push('', ...renderService(service));
  return `${lines.join('\n')}\n`;
}

function renderService(service: ServicePlan): string[] {
  const lines = [`${c.bold(service.name)}  ${service.image}${service.environmentUuid ? c.dim(` (environment ${service.environmentUuid})`) : ''}`];
  const row = (label: string, value: string) => lines.push(`  ${c.dim(label.padEnd(10))} ${value}`.trimEnd());
  row('hostname', service.hostname);
  const entrypoint = service.command ? JSON.stringify(service.command) : c.dim('(image entrypoint)');
  const cmd = service.args ? JSON.stringify(service.args) : c.dim('(image CMD)');
  row('argv', `${entrypoint} ${cmd}`);
  row('env', '');
  for (const e of maskEnv(service.env)) lines.push(`    ${e.name}=${e.value}${e.source === 'service' ? '' : c.dim(`  (${e.source})`)}`);
  row('mounts', service.mounts.length ? '' : c.dim('none'));
  for (const m of service.mounts) lines.push(`    ${m.hostPath} -> ${m.target}`);
  row('ports', service.ports.join(', '));
  row('urls', service.exposed ? '' : c.dim('not exposed: no proxy route (the SDK still lists these)'));
  for (const url of serviceUrlPaths(service)) {
    const route = service.routes.find((r) => r.port === url.port);
    const mode = route ? ` ${c.dim(`(${route.stripPrefix ? 'prefix stripped' : 'base path preserved'}, ${route.requiresAuthentication ? 'login required' : 'public'})`)}` : '';
    lines.push(`    ${url.path}${mode}`);
    lines.push(`    ${c.dim('sdk:')} ${url.externalUrl}`);
  }
  row('readiness', describeReadiness(service.readiness));
  if (service.dependsOn.length) row('after', service.dependsOn.join(', '));
  return lines;
}

function describeReadiness(r: ReadinessPlan): string {
  const within = `within ${r.timeoutMs / 1000} s`;
  switch (r.type) {
    case 'port':
      return `TCP port${r.ports.length === 1 ? ' ' + r.ports.join('') + ' accepts' : `s ${r.ports.join(', ')} accept`} connections ${within}`;
    case 'http':
      return `HTTP GET :${r.port}${r.path} answers ${describeStatuses(r.status)} ${within}`;
    case 'log':
      return `a log line matches /${r.pattern}/ ${within}`;
    case 'command':
      return `${JSON.stringify(r.command)} exits 0 ${within}`;
    case 'none':
      return 'ready once started';
  }
}

/** 200..399 reads better as a range than as 200 numbers. */
function describeStatuses(status: number[]): string {
  const sorted = [...status].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first !== undefined && last !== undefined && sorted.length > 2 && last - first + 1 === sorted.length) return `${first}-${last}`;
  return sorted.join(', ');
}
