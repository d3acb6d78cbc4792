/**
 * The session's badge in words: one failed service among ready ones is a degraded session
 * ("running, 1 failed"), not a failed one, and the words screen readers hear when states change.
 */

/** The parts of a Session (api.ts) this needs: kept structural so Node tests need no browser modules. */
interface Session {
  status: string;
  services: { name: string; status: string }[];
}

export interface SessionSummary {
  /** The StatusBadge tone key. */
  status: string;
  label: string;
}

export function summarizeSession(session: Session | null | undefined): SessionSummary {
  if (session === undefined) return { status: 'not running', label: '…' };
  if (session === null) return { status: 'not running', label: 'not running' };
  const failed = session.services.filter((s) => s.status === 'failed' || s.status === 'exited').length;
  const ready = session.services.filter((s) => s.status === 'ready').length;
  if ((session.status === 'failed' || session.status === 'running') && failed > 0 && ready > 0) {
    return { status: 'degraded', label: `running, ${failed} failed` };
  }
  return { status: session.status, label: session.status };
}

/** One sentence for the live region: the session, then each service's state. */
export function announcement(session: Session | null | undefined): string {
  if (!session) return session === null ? 'Session not running.' : '';
  const services = session.services.map((s) => `${s.name} ${s.status}`).join(', ');
  return `Session ${summarizeSession(session).label}.${services ? ` ${services}.` : ''}`;
}
