/**
 * The CLI's own errors: BERTH_CLI_* codes for what only the command line can get wrong (flags,
 * files given to offline commands, which session a command means), each declared once with its
 * message and hint. Each code also says the exit code it ends `berth` with (src/cli/output.ts):
 * 1 = the input is wrong, 2 = usage, 3 = the operation failed.
 */
import { BerthError, renderError, type ErrorArgs, type ErrorSpec } from '../shared/index.ts';

export interface CliErrorSpec<Params> extends ErrorSpec<Params> {
  readonly exit: 1 | 2 | 3;
}

/** defineError (src/shared/errors.ts) with the exit code: the facts are still `message`'s parameter, none by default. */
function defineCliError<Params = Record<string, never>>(spec: CliErrorSpec<Params>): CliErrorSpec<NoInfer<Params>> {
  return spec;
}

/** A session as the CLI lists it in a hint. */
interface ListedSession {
  uuid: string;
  pipelinePath: string;
  status: string;
}

/** Never answered by a server: the status only says, as everywhere, whose fix it is. */
export const CLI_CODES = {
  BERTH_CLI_USAGE: defineCliError({
    status: 400,
    exit: 2,
    summary: 'a flag or argument is missing, conflicting or not a value it takes',
    // The text is the fact: each usage error is about one flag of one command, written once beside
    // the option it checks, and shares nothing with the others beyond this code. Spelling them out
    // here would copy every command's flag parsing into the catalogue for no second use. A site
    // with nothing more specific to say gets the one hint every usage error can be given.
    message: ({ message }: { message: string; hint?: string }) => message,
    hint: ({ hint }) => hint ?? "see the command's flags and arguments with --help",
  }),
  BERTH_CLI_FILE_OUTSIDE_PROJECT: defineCliError({
    status: 422,
    exit: 2,
    summary: 'the pipeline file is not inside the project directory it is planned in',
    message: ({ file, projectDir }: { file: string; projectDir: string }) => `${file} is not inside the project directory ${projectDir}`,
    hint: () => 'pass the directory that contains the pipeline file with --project-dir, or leave it out',
  }),
  BERTH_CLI_AMBIGUOUS_SESSION: defineCliError({
    status: 422,
    exit: 2,
    summary: 'more than one active session matches the project and pipeline given',
    /** `sessions`: every active session the listing returned (not only the matches), to choose from. */
    message: ({ matches }: { matches: number; sessions: readonly ListedSession[] }) => `${matches} active sessions match`,
    hint: ({ sessions }) => `name one with PROJECT PIPELINE or --session: ${sessions.map((s) => `${s.uuid} (${s.pipelinePath}, ${s.status})`).join('; ')}`,
  }),
  BERTH_CLI_NO_SESSION: defineCliError({
    status: 404,
    exit: 3,
    summary: 'no active session matches the project and pipeline given',
    message: ({ project, pipeline }: { project?: string | undefined; pipeline?: string | undefined }) =>
      `no active session${project ? ` for ${project}${pipeline ? ` ${pipeline}` : ''}` : ''}`,
    hint: () => 'start one with `berth session start PROJECT PIPELINE`',
  }),
  BERTH_CLI_SERVER_INFO: defineCliError({
    status: 500,
    exit: 3,
    summary: "`berth serve` cannot write its address file in the data directory",
    message: ({ path, reason }: { path: string; reason: string }) => `cannot write ${path}: ${reason}`,
    hint: () => 'check that the data directory (--data-dir) is writable by the user running `berth serve`',
  }),
} as const satisfies Readonly<Record<string, CliErrorSpec<never>>>; // never: an entry of any facts

export type CliCode = keyof typeof CLI_CODES;

/** Errors of the CLI: codes of CLI_CODES, each ending `berth` with its exit code. */
export class CliError extends BerthError<CliCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof CLI_CODES>) {
    super(code, renderError(CLI_CODES[code], params), options);
  }

  /** The exit code `berth` ends with when this error stops a command. */
  get exitCode(): 1 | 2 | 3 {
    return CLI_CODES[this.code].exit;
  }
}
