/** `berth pipeline run`: run steps inside the running interactive session of a pipeline. */
import type { Command } from 'commander';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { CliExit, colors as c, printJson } from '../output.ts';
import { followRun } from './run.ts';

export function registerPipeline(program: Command): void {
  const pipeline = program.command('pipeline').description('pipelines of a project');

  addConnectOptions(
    pipeline
      .command('run')
      .description("run a pipeline's steps (all, or --steps) inside its running interactive session, with its services")
      .argument('<project>', 'project name or uuid')
      .argument('<pipeline>', 'pipeline file (relative to the project), uuid or name')
      .option('--steps <steps>', 'comma-separated step titles or uuids (default: every step)')
      .option('--no-wait', 'return at once instead of following the run')
      .option('--json', 'machine-readable output'),
  ).action(async function pipelineRun(project: string, pipelineRef: string, options: ConnectOptions & { steps?: string; wait: boolean; json?: boolean }) {
    const client = connect(options);
    const steps = options.steps ? options.steps.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const { run } = await client.runPipeline(project, pipelineRef, steps);
    if (!options.wait) {
      if (options.json) return printJson({ run });
      process.stdout.write(`started run ${c.bold(run.uuid)}; follow it with \`berth run status ${run.uuid}\`\n`);
      return;
    }
    const final = await followRun(client, run.uuid, { print: !options.json, timeoutMs: 3_600_000 });
    if (options.json) printJson({ run: final });
    if (final.status === 'failed' || final.status === 'cancelled') throw new CliExit(3);
  });
}
