/** `berth job create|list|show|run`: jobs are snapshots of a pipeline, its env vars and parameters. */
import type { Command } from 'commander';
import type { JobInfo } from '../../sdk/index.ts';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { CliExit, colors as c, printJson } from '../output.ts';
import { followRun } from './run.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerJob(program: Command): void {
  const job = program.command('job').description('jobs: snapshots of a pipeline with env vars and parameters, run with their services');

  addConnectOptions(
    job
      .command('create')
      .description('snapshot a pipeline (file, project+pipeline env vars, parameters) as a job')
      .argument('<project>', 'project name or uuid')
      .argument('<pipeline>', 'pipeline file (relative to the project), uuid or name')
      .option('--param <assignment>', 'key=value (pipeline parameter) or "<step title or uuid>.key=value"; values are JSON or text; repeatable', collect)
      .option('--env <assignment>', 'NAME=VALUE overriding the copied env vars; repeatable', collect)
      .option('--name <name>', 'job name (default: pipeline name and time)')
      .option('--json', 'machine-readable output'),
  ).action(async function jobCreate(
    project: string,
    pipeline: string,
    options: ConnectOptions & { param?: string[]; env?: string[]; name?: string; json?: boolean },
  ) {
    const client = connect(options);
    const { job: created } = await client.createJob(project, pipeline, {
      ...(options.name ? { name: options.name } : {}),
      params: options.param ?? [],
      env: options.env ?? [],
    });
    if (options.json) return printJson({ job: created });
    process.stdout.write(`${c.green('created')} job ${c.bold(created.name)} ${c.dim(created.uuid)}\n`);
    printJob(created);
    process.stdout.write(c.dim(`run it: berth job run ${created.uuid} --wait\n`));
  });

  addConnectOptions(
    job.command('list').description('jobs').option('--project <project>').option('--json', 'machine-readable output'),
  ).action(async function jobList(options: ConnectOptions & { project?: string; json?: boolean }) {
    const { jobs } = await connect(options).listJobs(options.project ? { project: options.project } : {});
    if (options.json) return printJson({ jobs });
    if (jobs.length === 0) process.stdout.write('no jobs; create one with `berth job create PROJECT PIPELINE`\n');
    for (const j of jobs) process.stdout.write(`${c.bold(j.name)}  ${c.dim(j.uuid)}  ${j.pipelinePath}  steps: ${j.steps.length}  services: ${j.services.join(', ') || '-'}\n`);
  });

  addConnectOptions(
    job
      .command('show')
      .description('a job: its steps, services, parameters and env var names')
      .argument('<job>', 'job name or uuid')
      .option('--reveal', 'show env var values (secrets)')
      .option('--json', 'machine-readable output'),
  ).action(async function jobShow(ref: string, options: ConnectOptions & { reveal?: boolean; json?: boolean }) {
    const { job: info } = await connect(options).getJob(ref, { reveal: Boolean(options.reveal) });
    if (options.json) return printJson({ job: info });
    process.stdout.write(`job ${c.bold(info.name)} ${c.dim(info.uuid)} (${info.pipelinePath})\n`);
    printJob(info);
  });

  addConnectOptions(
    job
      .command('delete')
      .description("delete a job with its runs' records, step logs and copies of the project (refused while a run is active)")
      .argument('<job>', 'job name or uuid')
      .option('--json', 'machine-readable output'),
  ).action(async function jobDelete(ref: string, options: ConnectOptions & { json?: boolean }) {
    const { deleted } = await connect(options).deleteJob(ref);
    if (options.json) return printJson({ deleted });
    process.stdout.write(`deleted job ${deleted.uuid} and ${deleted.runs} run${deleted.runs === 1 ? '' : 's'}\n`);
  });

  addConnectOptions(
    job
      .command('run')
      .description("run a job: start its noninteractive services, run the steps in order, stop the services")
      .argument('<job>', 'job name or uuid')
      .option('--wait', 'follow the run (services, then each step) until it ends')
      .option('--timeout <seconds>', 'with --wait: stop following after this long (the run goes on)', (v) => Number(v), 3600)
      .option('--json', 'machine-readable output'),
  ).action(async function jobRun(ref: string, options: ConnectOptions & { wait?: boolean; timeout: number; json?: boolean }) {
    const client = connect(options);
    const { run } = await client.startRun(ref);
    if (!options.wait) {
      if (options.json) return printJson({ run });
      process.stdout.write(`started run ${c.bold(run.uuid)}; follow it with \`berth run status ${run.uuid}\`\n`);
      return;
    }
    const final = await followRun(client, run.uuid, { print: !options.json, timeoutMs: options.timeout * 1000 });
    if (options.json) printJson({ run: final });
    if (final.status === 'failed' || final.status === 'cancelled') throw new CliExit(3);
  });
}

function printJob(info: JobInfo): void {
  const params = info.effectiveParameters;
  process.stdout.write(`  services: ${info.services.join(', ') || '-'}\n`);
  if (Object.keys(params.pipeline).length) process.stdout.write(`  pipeline parameters: ${JSON.stringify(params.pipeline)}\n`);
  for (const step of info.steps) {
    const stepParams = params.steps[step.uuid] ?? {};
    process.stdout.write(`  step ${step.title} (${step.filePath})${Object.keys(stepParams).length ? ` ${JSON.stringify(stepParams)}` : ''}\n`);
  }
  if (info.env.length) process.stdout.write(`  env: ${info.env.map((e) => (e.value === undefined ? e.name : `${e.name}=${e.value}`)).join(', ')}\n`);
}

