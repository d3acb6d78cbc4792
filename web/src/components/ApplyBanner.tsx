/**
 * After the file changed while a session runs: Apply restarts only the services whose plan
 * changed (Orchest could only restart the whole session, issue #728).
 */
import { useState } from 'react';
import { call, type PlanDiff, type SessionInfo } from '../api.ts';
import { ErrorNote } from './ErrorNote.tsx';

export function ApplyBanner(props: { session: SessionInfo; onApplied: (diff: PlanDiff) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function apply() {
    setBusy(true);
    setError(null);
    try {
      const body = await call('applySession', { sid: props.session.uuid });
      props.onApplied(body.diff);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="note note-info apply-banner" role="status">
      <div>
        <strong>The session still runs the previous version of this file.</strong> Apply restarts only the services that changed; the
        others keep running.
      </div>
      <button type="button" className="primary" onClick={() => void apply()} disabled={busy}>
        {busy ? 'Applying…' : 'Apply'}
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </div>
  );
}

export function ApplyResult(props: { diff: PlanDiff }) {
  const { diff } = props;
  const parts = [
    diff.changed.length ? `restarted ${diff.changed.join(', ')}` : null,
    diff.added.length ? `started ${diff.added.join(', ')}` : null,
    diff.removed.length ? `stopped ${diff.removed.join(', ')}` : null,
    diff.unchanged.length ? `left ${diff.unchanged.join(', ')} running untouched` : null,
  ].filter(Boolean);
  return (
    <div className="note note-ok apply-result" role="status">
      Applied: {parts.length ? parts.join('; ') : 'nothing changed'}.
    </div>
  );
}
