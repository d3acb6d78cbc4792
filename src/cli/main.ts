/**
 * The `berth` command. Each subcommand lives in src/cli/commands/<name>.ts and exports
 * `register(program)`; commands/index.ts loads only the one that runs, and this file renders
 * errors the same way for all.
 */
import { Command, CommanderError } from 'commander';
import { berthVersion } from '../shared/index.ts';
import { CliExit, renderError } from './output.ts';
import { CliError } from './errors.ts';
import { registerCommands } from './commands/index.ts';

/** The program with the commands `argv` needs (every command when argv names none of them). */
export async function createProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('berth')
    .description('Services for data pipelines: Orchest-compatible sessions on local processes, Docker/Podman and Kubernetes.')
    .version(berthVersion())
    .showHelpAfterError()
    .exitOverride();
  await registerCommands(program, argv.slice(2));
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    const program = await createProgram(argv);
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
    // The CLI's own errors carry their exit code (a usage error is 2); any other failure is 3.
    process.exitCode = error instanceof CliError ? error.exitCode : 3;
  }
}
