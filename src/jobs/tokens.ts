/**
 * Step tokens: the API token a run's steps get (BERTH_SESSION_TOKEN), which reaches only their
 * session's API. The one place they are issued and revoked, so a token never outlives its session.
 */
import type { Logger } from 'pino';

export interface StepTokenOptions {
  /** Issues a token scoped to the session (the server's auth); absent in tests: steps get none. */
  issue?: (sessionUuid: string) => string | Promise<string>;
  revoke?: (sessionUuid: string) => void | Promise<void>;
  logger: Logger;
}

export class StepTokens {
  readonly #o: StepTokenOptions;
  /** Sessions this process issued tokens for and has not revoked yet. */
  readonly #issued = new Set<string>();

  constructor(options: StepTokenOptions) {
    this.#o = options;
  }

  /** A token for the steps of a run in `sessionUuid`; undefined where Berth issues none. */
  async issue(sessionUuid: string): Promise<string | undefined> {
    if (!this.#o.issue) return undefined;
    this.#issued.add(sessionUuid);
    return this.#o.issue(sessionUuid);
  }

  /**
   * Revokes the session's step tokens. `ifIssued`: only when this process issued some (any
   * session's stop); without it always, since a run abandoned after a restart had its tokens
   * issued by the Berth before. Never throws: a token left is logged, and the session's stop goes on.
   */
  async revoke(sessionUuid: string, options: { ifIssued?: boolean } = {}): Promise<void> {
    const issued = this.#issued.delete(sessionUuid);
    if (options.ifIssued && !issued) return;
    try {
      await this.#o.revoke?.(sessionUuid);
    } catch (error) {
      this.#o.logger.warn({ err: error, sessionUuid }, 'revoking step tokens failed');
    }
  }
}
