/**
 * A pipeline: its steps as a DAG, the session toggle with the session's state, and the Services
 * panel (status, links, logs, restart). Everything live comes from the session's event stream.
 */
import { useEffect, useState } from 'react';
import type { ServiceSpec } from '../../../src/spec/browser.ts';
import { call, type PlanDiff, type SessionInfo } from '../api.ts';
import { Link, pipelineHref, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { isActive, useSession } from '../lib/use-session.ts';
import { Dag } from '../components/Dag.tsx';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { ServicesPanel } from '../components/ServicesPanel.tsx';
import { DiagnosticsList } from '../components/DiagnosticsList.tsx';
import { ApplyResult } from '../components/ApplyBanner.tsx';
import { useTitle } from '../lib/use-title.ts';
import { announcement, summarizeSession } from '../lib/session-summary.ts';

export function PipelinePage(props: { project: string; pipeline: string }) {
  const doc = useAsync(() => call('getPipeline', { project: props.project, pipeline: props.pipeline }), `${props.project}|${props.pipeline}`);
  const live = useSession(doc.data?.sessionUuid ?? null);
  const [busy, setBusy] = useState<'start' | 'stop' | 'apply' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [applied, setApplied] = useState<PlanDiff | null>(null);

  const spec = doc.data?.spec ?? null;
  const services: ServiceSpec[] = Object.values(spec?.services ?? {}).sort((a, b) => a.order - b.order);
  const session = live.session;
  const active = isActive(session);
  const summary = summarizeSession(session);
  const changes = useFileChanges(active && session.status !== 'stopping' ? session : null, applied);
  useTitle(spec?.name ?? props.pipeline);

  async function act(kind: 'start' | 'stop' | 'apply') {
    setBusy(kind);
    setError(null);
    setApplied(null);
    try {
      if (kind === 'start') {
        const body = await call('startSession', {}, { project: props.project, pipeline: doc.data!.path });
        live.setSession(body.session);
      } else if (kind === 'stop' && session) {
        const body = await call('stopSession', { sid: session.uuid });
        live.setSession(body.session);
      } else if (kind === 'apply' && session) {
        const body = await call('applySession', { sid: session.uuid });
        setApplied(body.diff);
        live.setSession(body.session);
      }
      await live.refresh();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <Link href={projectHref(props.project)}>{props.project}</Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">{spec?.name ?? props.pipeline}</span>
      </nav>
      <div className="row-between page-head">
        <div>
          <h1>{spec?.name ?? props.pipeline}</h1>
          <p className="muted mono small-text placeholder-line">{doc.data?.path ?? ' '}</p>
        </div>
        <div className="session-actions">
          <Link href={`${projectHref(props.project)}/jobs?pipeline=${encodeURIComponent(props.pipeline)}`} className="button">
            New job
          </Link>
          <Link href={pipelineHref(props.project, props.pipeline, 'services')} className="button">
            Pipeline settings
          </Link>
        </div>
      </div>
      {doc.error ? <ErrorNote error={doc.error} /> : null}
      {doc.data && !doc.data.valid ? (
        <div className="note note-error" role="alert">
          <strong>This pipeline file has errors; a session cannot start until they are fixed.</strong>
          <DiagnosticsList diagnostics={doc.data.diagnostics} />
        </div>
      ) : null}

      <div className="session-bar card" aria-label="Session">
        <div className="session-state">
          <span className="muted">Session</span>
          <StatusBadge status={summary.status} label={summary.label} />
          {session?.reason && session.status !== 'running' ? <span className="small-text pre-line session-reason">{session.reason}</span> : null}
        </div>
        <div className="session-actions">
          {active ? (
            <>
              <button type="button" onClick={() => void act('apply')} disabled={busy === 'apply' || busy === 'stop' || session.status === 'stopping'} title="Restart only the services whose definition changed in the file">
                {busy === 'apply' ? 'Applying…' : 'Apply file changes'}
              </button>
              <button type="button" className="danger" onClick={() => void act('stop')} disabled={busy === 'stop' || session.status === 'stopping'}>
                {busy === 'stop' || session.status === 'stopping' ? 'Stopping…' : 'Stop session'}
              </button>
            </>
          ) : (
            <button type="button" className="primary" onClick={() => void act('start')} disabled={busy !== null || !doc.data?.valid}>
              {busy === 'start' ? 'Starting…' : 'Start session'}
            </button>
          )}
        </div>
      </div>
      {/* Screen readers hear each change of the session and its services, not only sighted users. */}
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="session-announcer">
        {announcement(session)}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {live.error ? <ErrorNote error={live.error} title="Session state" /> : null}
      {applied ? <ApplyResult diff={applied} /> : null}
      {changes ? <FileChangedNote diff={changes} /> : null}
      {session?.warnings.length ? (
        <div className="note note-warn">
          {session.warnings.map((w, i) => (
            <div key={i}>{w}</div>
          ))}
        </div>
      ) : null}

      <div className="pipeline-grid">
        <section aria-labelledby="steps-title">
          <h2 id="steps-title">Steps</h2>
          {spec ? <Dag steps={spec.steps} /> : <div className="dag dag-empty" />}
        </section>
        <section aria-labelledby="services-title">
          <div className="row-between">
            <h2 id="services-title">Services</h2>
            <Link href={pipelineHref(props.project, props.pipeline, 'services')} className="small-text">
              Edit services
            </Link>
          </div>
          {doc.data ? <ServicesPanel services={services} session={session} sessionUuid={doc.data.sessionUuid} onChanged={() => void live.refresh()} /> : <p className="muted placeholder-line">Loading…</p>}
        </section>
      </div>
    </section>
  );
}

/**
 * Whether the pipeline file differs from what the session runs (GET …/changes is apply's dry run),
 * checked again whenever the session's state is refreshed.
 */
function useFileChanges(session: SessionInfo | null, applied: PlanDiff | null): PlanDiff | null {
  const [diff, setDiff] = useState<PlanDiff | null>(null);
  useEffect(
    function checkFile() {
      if (!session) {
        setDiff(null);
        return;
      }
      let current = true;
      call('sessionChanges', { sid: session.uuid })
        .then((body) => {
          if (current) setDiff(body.diff.added.length + body.diff.removed.length + body.diff.changed.length > 0 ? body.diff : null);
        })
        .catch(() => {
          if (current) setDiff(null); // an invalid file is reported above; a server without the route says nothing
        });
      return () => {
        current = false;
      };
    },
    [session, applied],
  );
  return diff;
}

function FileChangedNote(props: { diff: PlanDiff }) {
  const { diff } = props;
  const parts = [
    diff.changed.length ? `${diff.changed.join(', ')} changed` : null,
    diff.added.length ? `${diff.added.join(', ')} added` : null,
    diff.removed.length ? `${diff.removed.join(', ')} removed` : null,
  ].filter(Boolean);
  return (
    <div className="note note-info file-changed" role="status">
      <strong>The pipeline file changed since this session started</strong> ({parts.join('; ')}). “Apply file changes” restarts only those
      services.
    </div>
  );
}
