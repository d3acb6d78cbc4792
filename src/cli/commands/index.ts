/** Every subcommand, registered in the order `berth --help` lists them. */
import type { Command } from 'commander';
import { registerServe } from './serve.ts';
import { registerProject, registerEnv } from './project.ts';
import { registerSession } from './session.ts';
import { registerEnvImage } from './env-image.ts';
import { registerJob } from './job.ts';
import { registerRun } from './run.ts';
import { registerPipeline } from './pipeline.ts';
import { registerLogin } from './login.ts';
import { registerUser } from './user.ts';
import { registerProxy } from './proxy.ts';
import { registerPlan } from './plan.ts';
import { registerValidate } from './validate.ts';
import { registerMigrate } from './migrate.ts';
import { registerSchema } from './schema.ts';

type Register = (program: Command) => void;

const commands: Register[] = [registerServe, registerProject, registerSession, registerJob, registerRun, registerPipeline, registerEnv, registerEnvImage, registerProxy, registerPlan, registerValidate, registerMigrate, registerSchema, registerLogin, registerUser];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
