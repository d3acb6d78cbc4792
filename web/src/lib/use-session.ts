/**
 * The live state of a pipeline's interactive session: fetched once, then refreshed on every
 * server-sent event about it (/api/events?session=…), with a slow poll as a safety net for
 * proxies that buffer event streams.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiFailure, enc, type Session } from '../api.ts';

export interface SessionState {
  /** undefined while loading; null when the pipeline has no session (never started, or deleted). */
  session: Session | null | undefined;
  error: unknown;
  refresh: () => Promise<void>;
  setSession: (session: Session | null) => void;
}

export function useSession(sessionUuid: string | null): SessionState {
  const [session, setSession] = useState<Session | null | undefined>(sessionUuid ? undefined : null);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<number | undefined>(undefined);

  const refresh = useCallback(
    async function refreshSession() {
      if (!sessionUuid) return;
      try {
        const body = await api<{ session: Session }>('GET', `/api/sessions/${enc(sessionUuid)}`);
        setSession(body.session);
        setError(null);
      } catch (caught) {
        if (caught instanceof ApiFailure && caught.status === 404) setSession(null);
        else setError(caught);
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
      const events = new EventSource(`/api/events?session=${enc(sessionUuid)}`);
      events.addEventListener('session', soon);
      events.addEventListener('service', soon);
      const poll = window.setInterval(() => void refresh(), 5_000);
      return () => {
        events.close();
        window.clearInterval(poll);
        window.clearTimeout(timer.current);
      };
    },
    [sessionUuid, refresh],
  );

  return { session, error, refresh, setSession };
}

export function isActive(session: Session | null | undefined): session is Session {
  return Boolean(session && session.status !== 'stopped');
}
