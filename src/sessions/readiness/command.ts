import { BerthError } from '../../shared/index.ts';
import type { AttemptContext, CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

/** Ready when the command, run next to the service, exits 0 (testcontainers' forSuccessfulCommand). */
export class CommandCheck implements ReadinessCheck {
  readonly description: string;
  readonly #command: string[];

  constructor(command: string[]) {
    this.#command = command;
    this.description = `command "${command.join(' ')}" exiting 0`;
  }

  async attempt(probe: ReadinessProbe, context: AttemptContext): Promise<CheckResult> {
    try {
      const result = await probe.exec(this.#command, { timeoutMs: context.timeoutMs });
      const output = result.output.trim().split('\n').slice(-3).join(' | ');
      if (result.exitCode === 0) return { ready: true, detail: `exited 0${output ? `: ${output}` : ''}` };
      return { ready: false, detail: `exited ${result.exitCode}${output ? `: ${output}` : ''}` };
    } catch (error) {
      const code = error instanceof BerthError ? error.code : '';
      // The check's own program missing will not fix itself by waiting.
      const fatal = code.endsWith('_EXECUTABLE_NOT_FOUND');
      return { ready: false, fatal, detail: error instanceof Error ? error.message : String(error) };
    }
  }
}
