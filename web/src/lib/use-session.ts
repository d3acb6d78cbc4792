/**
 * The live state of a pipeline's interactive session: fetched once, then refreshed on every
 * server-sent event about it (/api/events?session=…), with a slow poll as a safety net for
 * proxies that buffer event streams. A session that does not exist (never started) is not polled:
 * its start comes as an event, or through setSession when this page starts it.
 *
 * Each refresh asks for the services that changed since the last one (`sessionUpdates`): a start
 * of 1,000 services is a burst of events a second, and the whole session is 0.7 MB of JSON.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { apiPath, ApiFailure, call, SessionFollower, type SessionInfo } from '../api.ts';

export interface SessionState {
  /** undefined while loading; null when the pipeline has no session (never started, or deleted). */
  session: SessionInfo | null | undefined;
  error: unknown;
  refresh: () => Promise<void>;
  setSession: (session: SessionInfo | null) => void;
}

export function useSession(sessionUuid: string | null): SessionState {
  const [session, setSessionState] = useState<SessionInfo | null | undefined>(sessionUuid ? undefined : null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<number | undefined>(undefined);
  /** The session as last merged and the cursor it is at: the next update is relative to it. */
  const follower = useRef<SessionFollower | undefined>(undefined);
  /** One update at a time (each is relative to the one before); a refresh asked for meanwhile runs after it. */
  const fetching = useRef(false);
  const again = useRef(false);

  const fetchUpdate = useCallback(
    async function fetchSessionUpdate() {
      if (!sessionUuid) return;
      const following = (follower.current ??= new SessionFollower(sessionUuid));
      const asked = following.params;
      try {
        const update = await call('sessionUpdates', asked);
        // Dropped when setSession replaced the session meanwhile, or another session is shown now.
        if (follower.current !== following || !following.take(update, asked)) return;
        setSessionState(following.session!);
        setMissing(false);
        setError(null);
      } catch (caught) {
        if (caught instanceof ApiFailure && caught.status === 404) {
          following.restart();
          setSessionState(null);
          setMissing(true);
        } else setError(caught);
      }
    },
    [sessionUuid],
  );

  const refresh = useCallback(
    async function refreshSession() {
      if (fetching.current) {
        again.current = true;
        return;
      }
      fetching.current = true;
      try {
        do {
          again.current = false;
          await fetchUpdate();
        } while (again.current);
      } finally {
        fetching.current = false;
      }
    },
    [fetchUpdate],
  );

  useEffect(
    function followThisSession() {
      follower.current = sessionUuid ? new SessionFollower(sessionUuid) : undefined;
    },
    [sessionUuid],
  );

  useEffect(
    function followSessionEvents() {
      if (!sessionUuid) return;
      void refresh();
      // Bursts of events (every service changing state) become one fetch.
      const soon = () => {
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => void refresh(), 120);
      };
      const events = new EventSource(apiPath('sessionEvents', { session: sessionUuid }));
      events.addEventListener('session', soon);
      events.addEventListener('service', soon);
      return () => {
        events.close();
        window.clearTimeout(timer.current);
      };
    },
    [sessionUuid, refresh],
  );

  useEffect(
    function pollWhileItExists() {
      if (!sessionUuid || missing) return;
      const poll = window.setInterval(() => void refresh(), 5_000);
      return () => window.clearInterval(poll);
    },
    [sessionUuid, missing, refresh],
  );

  const setSession = useCallback(function setSession(next: SessionInfo | null) {
    // Without a cursor the next refresh is the whole session again.
    follower.current?.restart(next ?? undefined);
    setSessionState(next);
    setMissing(next === null);
  }, []);

  return { session, error, refresh, setSession };
}

export function isActive(session: SessionInfo | null | undefined): session is SessionInfo {
  return Boolean(session && session.status !== 'stopped');
}
