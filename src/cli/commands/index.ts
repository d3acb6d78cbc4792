/** Every subcommand, registered in the order `berth --help` lists them. */
import type { Command } from 'commander';
import { registerServe } from './serve.ts';
import { registerProject, registerEnv } from './project.ts';
import { registerSession } from './session.ts';

type Register = (program: Command) => void;

const commands: Register[] = [registerServe, registerProject, registerSession, registerEnv];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
