/** argv of a service (orchest-compatibility.md: Service objects and argv): `command` is one element, `args` are split like a POSIX shell. */
import { PlanError } from './errors.ts';
import { shellSplit } from './shlex.ts';

/** Orchest dropped only the empty string (`if command:`), so whitespace-only commands are kept as given. */
export function commandArgv(command: string | undefined): string[] | undefined {
  return command ? [command] : undefined;
}

/** Issue #1098: `mlflow server` as command is one executable of that name, which does not exist. */
export function commandWarning(name: string, command: string | undefined): string | undefined {
  if (!command || !/\s/.test(command)) return undefined;
  return (
    `services.${name}.command: "${command}" contains whitespace but runs as ONE executable of that name (Orchest never split command); ` +
    'put the program in command and its arguments in args'
  );
}

/** `args` split like a POSIX shell; absent, empty or blank = the image's CMD (Orchest set none either). */
export function splitArgs(args: string | undefined, where: string, name: string): string[] | undefined {
  if (!args) return undefined;
  const result = shellSplit(args);
  if (result.ok) return result.words.length ? result.words : undefined;
  const path = `services.${name}.args`;
  if (result.problem === 'unclosed-quote') {
    throw new PlanError('BERTH_PLAN_ARGS_UNBALANCED', { where, quote: result.quote, column: result.column, args }, { details: { path, column: result.column } });
  }
  throw new PlanError('BERTH_PLAN_ARGS_TRAILING_ESCAPE', { where, column: result.column, args }, { details: { path, column: result.column } });
}
