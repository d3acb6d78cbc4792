/**
 * The `berth` command. Each subcommand lives in src/cli/commands/<name>.ts and exports
 * `register(program)`; this file only wires them and renders errors the same way for all.
 */
import { Command, CommanderError } from 'commander';
import { CliExit, renderError } from './output.ts';
import { registerCommands } from './commands/index.ts';

export function createProgram(): Command {
  const program = new Command('berth')
    .description('Services for data pipelines: Orchest-compatible sessions on local processes, Docker/Podman and Kubernetes.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CliExit) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`${renderError(error, json)}\n`);
    process.exitCode = 3;
  }
}
