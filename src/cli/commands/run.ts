/** `berth run list|status|logs|cancel`: runs of jobs and interactive pipeline runs. */
import type { Command } from 'commander';
import type { BerthClient, RunInfo, RunStepInfo, ServiceInfo } from '../../sdk/index.ts';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { CliExit, colors as c, printJson } from '../output.ts';

export function registerRun(program: Command): void {
  const run = program.command('run').description('runs of jobs and of pipelines: status, step logs, cancel');

  addConnectOptions(
    run
      .command('list')
      .description('runs, newest last')
      .option('--job <job>', 'only runs of this job (name or uuid)')
      .option('--project <project>', 'only runs of this project')
      .option('--active', 'only runs that have not finished')
      .option('--json', 'machine-readable output'),
  ).action(async function runList(options: ConnectOptions & { job?: string; project?: string; active?: boolean; json?: boolean }) {
    const client = connect(options);
    const { runs } = await client.listRuns({
      ...(options.job ? { job: options.job } : {}),
      ...(options.project ? { project: options.project } : {}),
      ...(options.active ? { active: true } : {}),
    });
    if (options.json) return printJson({ runs });
    if (runs.length === 0) process.stdout.write('no runs; start one with `berth job run JOB` or `berth pipeline run PROJECT PIPELINE`\n');
    for (const r of runs) {
      const steps = r.steps.filter((s) => s.status === 'succeeded').length;
      process.stdout.write(
        `${c.bold(r.uuid)}  ${paint(r.status).padEnd(18)} ${r.type === 'job' ? `job ${r.jobName ?? r.jobUuid}` : `interactive ${r.pipelinePath}`}  ` +
          `${c.dim(`${steps}/${r.steps.length} steps succeeded, ${r.createdAt}`)}\n`,
      );
    }
  });

  addConnectOptions(
    run.command('status').description('a run: its services and each step').argument('<run>', 'run uuid (or its first 8+ characters)').option('--json', 'machine-readable output'),
  ).action(async function runStatus(ref: string, options: ConnectOptions & { json?: boolean }) {
    const client = connect(options);
    const { run: info } = await client.getRun(ref);
    if (options.json) return printJson({ run: info });
    printRun(info);
    if (info.status === 'failed') throw new CliExit(3);
  });

  addConnectOptions(
    run
      .command('logs')
      .description("print a step's log")
      .argument('<run>', 'run uuid')
      .argument('<step>', 'step title or uuid')
      .option('-f, --follow', 'keep printing until the step ends')
      .option('-n, --tail <lines>', 'only the last lines', (v) => Number(v)),
  ).action(async function runLogs(ref: string, step: string, options: ConnectOptions & { follow?: boolean; tail?: number }) {
    const client = connect(options);
    const tail = options.tail === undefined ? {} : { tail: options.tail };
    if (!options.follow) {
      process.stdout.write(await client.stepLogs(ref, step, tail));
      return;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    try {
      for await (const chunk of await client.followStepLogs(ref, step, { ...tail, signal: controller.signal })) process.stdout.write(chunk);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  });

  addConnectOptions(
    run.command('cancel').description('cancel a run: running steps are killed, the rest skipped, its services stopped').argument('<run>').option('--json', 'machine-readable output'),
  ).action(async function runCancel(ref: string, options: ConnectOptions & { json?: boolean }) {
    const client = connect(options);
    const { run: info } = await client.cancelRun(ref);
    if (options.json) return printJson({ run: info });
    printRun(info);
  });
}

const STATUS_COLOR: Record<string, (s: string) => string> = {
  succeeded: c.green,
  ready: c.green,
  running: c.yellow,
  starting: c.yellow,
  pending: c.dim,
  skipped: c.dim,
  stopped: c.dim,
  failed: c.red,
  exited: c.red,
  cancelled: c.red,
};

export function paint(status: string): string {
  return (STATUS_COLOR[status] ?? ((s: string) => s))(status);
}

function stepLine(step: RunStepInfo): string {
  const duration = step.durationMs === null ? '' : c.dim(` ${(step.durationMs / 1000).toFixed(1)} s`);
  const exit = step.exitCode === null || step.exitCode === 0 ? '' : c.dim(` (exit ${step.exitCode})`);
  const reason = step.reason && step.status !== 'succeeded' ? ` ${step.reason}` : '';
  return `  step    ${step.title.padEnd(24)} ${paint(step.status).padEnd(18)}${duration}${exit}${reason}`;
}

function serviceLine(service: ServiceInfo): string {
  return `  service ${service.name.padEnd(24)} ${paint(service.status).padEnd(18)} ${service.reason ?? ''}`;
}

export function printRun(info: RunInfo): void {
  const what = info.type === 'job' ? `job ${info.jobName ?? info.jobUuid}` : `interactive run of ${info.pipelinePath}`;
  process.stdout.write(`run ${c.bold(info.uuid)} (${what}) ${paint(info.status)}${info.reason ? `: ${info.reason}` : ''}\n`);
  for (const service of info.services) process.stdout.write(`${serviceLine(service)}\n`);
  for (const step of info.steps) process.stdout.write(`${stepLine(step)}\n`);
}

/** Follows a run to its end, printing each service's and step's transitions as they happen. */
export async function followRun(client: BerthClient, runUuid: string, options: { print: boolean; timeoutMs: number }): Promise<RunInfo> {
  const seen = new Map<string, string>();
  const started = Date.now();
  const show = (key: string, state: string, line: string) => {
    if (!options.print || seen.get(key) === state) return;
    seen.set(key, state);
    process.stdout.write(`${line}\n`);
  };
  for (;;) {
    const { run: info } = await client.getRun(runUuid);
    show('run', info.status, `run ${info.uuid} ${paint(info.status)}`);
    for (const service of info.services) if (service.status !== 'stopped') show(`service:${service.name}`, service.status, serviceLine(service));
    for (const step of info.steps) if (step.status !== 'pending') show(`step:${step.stepUuid}`, step.status, stepLine(step));
    if (info.status === 'succeeded' || info.status === 'failed' || info.status === 'cancelled') {
      if (options.print && info.reason) process.stdout.write(`${paint(info.status)}: ${info.reason}\n`);
      if (options.print && info.status === 'failed') {
        const failed = info.steps.find((s) => s.status === 'failed');
        if (failed) process.stdout.write(c.dim(`  see its log: berth run logs ${info.uuid} "${failed.title}"\n`));
      }
      return info;
    }
    if (Date.now() - started > options.timeoutMs) {
      if (options.print) process.stdout.write(c.yellow(`still ${info.status} after ${Math.round(options.timeoutMs / 1000)} s; follow it with \`berth run status ${info.uuid}\`\n`));
      return info;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
