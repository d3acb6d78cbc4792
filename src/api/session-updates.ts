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
