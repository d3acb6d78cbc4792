/**
 * The live state of a pipeline's interactive session: fetched once, then refreshed on every
 * server-sent event about it (/api/events?session=…), with a slow poll as a safety net for
 * proxies that buffer event streams. A session that does not exist (never started) is not polled:
 * its start comes as an event, or through setSession when this page starts it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { apiPath, ApiFailure, call, type SessionInfo } from '../api.ts';

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

  const refresh = useCallback(
    async function refreshSession() {
      if (!sessionUuid) return;
      try {
        const body = await call('getSession', { sid: sessionUuid });
        setSessionState(body.session);
        setMissing(false);
        setError(null);
      } catch (caught) {
        if (caught instanceof ApiFailure && caught.status === 404) {
          setSessionState(null);
          setMissing(true);
        } else setError(caught);
      }
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
    setSessionState(next);
    setMissing(next === null);
  }, []);

  return { session, error, refresh, setSession };
}

export function isActive(session: SessionInfo | null | undefined): session is SessionInfo {
  return Boolean(session && session.status !== 'stopped');
}
