/**
 * The CLI's own errors: BERTH_CLI_* codes for what only the command line can get wrong (flags,
 * files given to offline commands, which session a command means). Each code also says the exit
 * code it ends `berth` with (src/cli/output.ts): 1 = the input is wrong, 2 = usage, 3 = the
 * operation failed.
 */
import { BerthError, type BerthErrorOptions, type ErrorSpec } from '../shared/index.ts';

export interface CliErrorSpec extends ErrorSpec {
  readonly exit: 1 | 2 | 3;
}

/** Never answered by a server: the status only says, as everywhere, whose fix it is. */
export const CLI_CODES = {
  BERTH_CLI_USAGE: { status: 400, exit: 2, summary: 'a flag or argument is missing, conflicting or not a value it takes' },
  BERTH_CLI_FILE_OUTSIDE_PROJECT: { status: 422, exit: 2, summary: 'the pipeline file is not inside the project directory it is planned in' },
  BERTH_CLI_AMBIGUOUS_SESSION: { status: 422, exit: 2, summary: 'more than one active session matches the project and pipeline given' },
  BERTH_CLI_NO_SESSION: { status: 404, exit: 3, summary: 'no active session matches the project and pipeline given' },
  BERTH_CLI_SERVER_INFO: { status: 500, exit: 3, summary: "`berth serve` cannot write its address file in the data directory" },
} as const satisfies Record<string, CliErrorSpec>;

export type CliCode = keyof typeof CLI_CODES;

export class CliError extends BerthError {
  declare readonly code: CliCode;

  constructor(code: CliCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
  }

  /** The exit code `berth` ends with when this error stops a command. */
  get exitCode(): 1 | 2 | 3 {
    return CLI_CODES[this.code].exit;
  }
}
