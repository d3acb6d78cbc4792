/**
 * Every subcommand, in the order `berth --help` lists them. A row names the top-level commands one
 * module registers and loads that module only when one of them runs (all of them for help), so
 * `berth --version` loads no command and `berth session status` neither the server nor the spec.
 * Adding a command: one row, `{ names: ['NAME'], load: async () => (await import('./FILE.ts')).registerNAME }`.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

interface CommandModule {
  names: readonly string[];
  load: () => Promise<Register>;
}

const commands: readonly CommandModule[] = [
  { names: ['serve'], load: async () => (await import('./serve.ts')).registerServe },
  { names: ['project'], load: async () => (await import('./project.ts')).registerProject },
  { names: ['session', 'logs'], load: async () => (await import('./session.ts')).registerSession },
  { names: ['job'], load: async () => (await import('./job.ts')).registerJob },
  { names: ['run'], load: async () => (await import('./run.ts')).registerRun },
  { names: ['pipeline'], load: async () => (await import('./pipeline.ts')).registerPipeline },
  { names: ['env'], load: async () => (await import('./project.ts')).registerEnv },
  { names: ['env-image'], load: async () => (await import('./env-image.ts')).registerEnvImage },
  { names: ['proxy'], load: async () => (await import('./proxy.ts')).registerProxy },
  { names: ['plan'], load: async () => (await import('./plan.ts')).registerPlan },
  { names: ['validate'], load: async () => (await import('./validate.ts')).registerValidate },
  { names: ['migrate'], load: async () => (await import('./migrate.ts')).registerMigrate },
  { names: ['schema'], load: async () => (await import('./schema.ts')).registerSchema },
  { names: ['login'], load: async () => (await import('./login.ts')).registerLogin },
  { names: ['user'], load: async () => (await import('./user.ts')).registerUser },
  { names: ['login-link'], load: async () => (await import('./login-link.ts')).registerLoginLink },
];

const VERSION_FLAGS = new Set(['-V', '--version']);

/**
 * The modules `args` (argv without node and the script) needs: the one registering the command the
 * first operand names; none for `--version` alone; every one otherwise (help, an unknown command's
 * "did you mean", no arguments), where commander needs the full list.
 */
export function commandsFor(args: readonly string[]): readonly CommandModule[] {
  const first = args.find((arg) => !arg.startsWith('-'));
  const named = first === undefined ? undefined : commands.find((module) => module.names.includes(first));
  if (named) return [named];
  if (first === undefined && args.length > 0 && args.every((arg) => VERSION_FLAGS.has(arg))) return [];
  return commands;
}

export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const registers = await Promise.all(commandsFor(args).map((module) => module.load()));
  for (const register of registers) register(program);
}
