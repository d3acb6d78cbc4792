/**
 * Following a session by its updates: each answer of `sessionUpdates` holds the services that
 * changed since the cursor sent, and the session as a whole is the previous one with those
 * replaced. Browser-safe: the CLI and the UI follow a start the same way.
 */
import type { SessionInfo, SessionUpdate } from './types.ts';

/**
 * The whole session after an update: a complete update is it; otherwise the changed services
 * replace theirs in `previous`, the session the update's cursor came with.
 */
export function mergeSessionUpdate(previous: SessionInfo | undefined, update: SessionUpdate): SessionInfo {
  if (update.complete) return update.session;
  if (!previous) throw new TypeError('mergeSessionUpdate: an update since a cursor needs the session that cursor came with');
  if (update.session.services.length === 0) return { ...update.session, services: previous.services };
  const changed = new Map(update.session.services.map((s) => [s.name, s]));
  return { ...update.session, services: previous.services.map((s) => changed.get(s.name) ?? s) };
}

/**
 * A client's place in one session's updates: the session as merged so far and the cursor it is at.
 * `params` are the next `sessionUpdates` call's, `take` merges its answer.
 */
export class SessionFollower {
  #session: SessionInfo | undefined;
  #cursor: string | undefined;

  constructor(readonly sid: string) {}

  /** The whole session as far as it is known (undefined before the first answer). */
  get session(): SessionInfo | undefined {
    return this.#session;
  }

  get params(): { sid: string; since?: string } {
    return this.#cursor ? { sid: this.sid, since: this.#cursor } : { sid: this.sid };
  }

  /**
   * Merges the answer to a call made with `asked` (its `params`); false when the follower moved on
   * meanwhile (another answer, or `restart`) and the answer was dropped.
   */
  take(update: SessionUpdate, asked: { since?: string } = this.params): boolean {
    if (asked.since !== this.#cursor) return false;
    this.#session = mergeSessionUpdate(this.#session, update);
    this.#cursor = update.cursor;
    return true;
  }

  /** Starts again from a session got elsewhere (or none): the next answer is the whole session. */
  restart(session?: SessionInfo): void {
    this.#session = session;
    this.#cursor = undefined;
  }
}
