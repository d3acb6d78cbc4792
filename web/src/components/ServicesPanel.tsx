/**
 * Every service of the pipeline with its state, whether or not a session runs (Orchest hid the
 * menu without a running session, issue #487, and hid unexposed services, issue #1070): ready,
 * starting, failed with the reason and a hint, exited, not exposed, no ports. Exposed ports link
 * to their proxy URLs; each service has its log viewer and a restart button.
 */
import { useState } from 'react';
import type { ServiceSpec } from '../../../src/spec/browser.ts';
import { call, type ServiceInfo, type SessionInfo } from '../api.ts';
import { serviceUrl, useServiceDomain } from '../lib/urls.ts';
import { speaksHttp } from '../lib/protocols.ts';
import { CopyButton } from './CopyButton.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { LogViewer } from './LogViewer.tsx';
import { ErrorNote } from './ErrorNote.tsx';

export function ServicesPanel(props: {
  services: ServiceSpec[];
  session: SessionInfo | null | undefined;
  sessionUuid: string | null;
  onChanged: () => void;
}) {
  const { session } = props;
  const active = Boolean(session && session.status !== 'stopped');
  const [openLogs, setOpenLogs] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Services of the running session first come from the session (what actually runs); services only
  // in the file (not started: other scope, or added since) are listed after, from the file.
  const names = new Set<string>();
  const rows: { name: string; spec?: ServiceSpec; state?: ServiceInfo }[] = [];
  for (const state of active ? (session?.services ?? []) : []) {
    names.add(state.name);
    rows.push({ name: state.name, state, ...specFor(props.services, state.name) });
  }
  for (const spec of props.services) if (!names.has(spec.name)) rows.push({ name: spec.name, spec });

  async function restart(name: string) {
    if (!session) return;
    setBusy(name);
    setError(null);
    try {
      await call('restartSession', { sid: session.uuid }, { service: name });
      props.onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  if (rows.length === 0) {
    return (
      <div className="empty-state">
        <p>This pipeline has no services. Add Redis, Jupyter, Streamlit or any program in the pipeline settings.</p>
      </div>
    );
  }
  return (
    <div className="services">
      {error ? <ErrorNote error={error} /> : null}
      <ul className="service-list" aria-label="Services">
        {rows.map((row) => (
          <li key={row.name} className="service-row" data-service={row.name}>
            <ServiceRow
              row={row}
              active={active}
              sessionUuid={props.sessionUuid}
              busy={busy === row.name}
              logsOpen={openLogs === row.name}
              onToggleLogs={() => setOpenLogs((open) => (open === row.name ? null : row.name))}
              onRestart={() => void restart(row.name)}
            />
            {openLogs === row.name && session ? <LogViewer sessionUuid={session.uuid} service={row.name} active={active && Boolean(row.state)} /> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function specFor(services: ServiceSpec[], name: string): { spec?: ServiceSpec } {
  const spec = services.find((s) => s.name === name);
  return spec ? { spec } : {};
}

function ServiceRow(props: {
  row: { name: string; spec?: ServiceSpec; state?: ServiceInfo };
  active: boolean;
  sessionUuid: string | null;
  busy: boolean;
  logsOpen: boolean;
  onToggleLogs: () => void;
  onRestart: () => void;
}) {
  const { row } = props;
  const state = row.state;
  const ports = state?.ports ?? row.spec?.ports ?? [];
  const exposed = state?.exposed ?? row.spec?.exposed ?? false;
  const status = state ? state.status : props.active ? 'not in session' : 'not running';
  const image = row.spec?.image;
  return (
    <div className="service-head">
      <div className="service-main">
        <div className="service-title">
          <strong className="service-name">{row.name}</strong>
          <StatusBadge status={state ? state.status : 'not running'} label={status} />
          {state ? (
            <span className="muted small-text service-meta" data-attempt={state.attempt} data-started-at={state.startedAt ?? ''}>
              {serviceMeta(state)}
            </span>
          ) : null}
        </div>
        {image ? <div className="muted small-text mono">{image}</div> : null}
        {state?.status === 'failed' || state?.status === 'exited' ? (
          <div className="service-problem" role="status">
            <div className="pre-line">{state.reason ?? (state.status === 'exited' ? 'the service exited' : 'the service failed')}</div>
            {state.details?.hint ? <div className="hint">{state.details.hint}</div> : null}
            {state.details?.lastLogLines?.length ? (
              <pre className="last-lines" aria-label={`Last log lines of ${row.name}`}>
                {state.details.lastLogLines.join('\n')}
              </pre>
            ) : null}
          </div>
        ) : null}
        {!state && props.active ? <div className="muted small-text">Not started by this session: its scope excludes interactive sessions, or it was added after the start (Apply starts it).</div> : null}
        <Endpoints name={row.name} ports={ports} exposed={exposed} state={state} spec={row.spec} sessionUuid={props.sessionUuid} />
      </div>
      <div className="service-actions">
        <button type="button" className="small" onClick={props.onToggleLogs} disabled={!props.active || !state} aria-expanded={props.logsOpen}>
          {props.logsOpen ? 'Hide logs' : 'Logs'}
          <span className="sr-only"> of {row.name}</span>
        </button>
        <button type="button" className="small" onClick={props.onRestart} disabled={!props.active || !state || props.busy}>
          {props.busy ? 'Restarting…' : 'Restart'}
          <span className="sr-only"> {row.name}</span>
        </button>
      </div>
    </div>
  );
}

/** "restart 2 · started 10:02:11 · ready in 3 s": the first start is not a restart, so attempt 1 says nothing. */
export function serviceMeta(state: ServiceInfo): string {
  const parts: string[] = [];
  if (state.attempt > 1) parts.push(`restart ${state.attempt - 1}`);
  if (state.startedAt) parts.push(`started ${new Date(state.startedAt).toLocaleTimeString()}`);
  const took = readySeconds(state);
  if (took !== null) parts.push(`ready in ${took < 10 ? took.toFixed(1) : Math.round(took)} s`);
  return parts.join(' · ');
}

/** readyAt − startedAt, as the CLI shows it; null until the service is ready. */
export function readySeconds(state: Pick<ServiceInfo, 'status' | 'startedAt' | 'readyAt'>): number | null {
  if (state.status !== 'ready' || !state.startedAt || !state.readyAt) return null;
  const ms = Date.parse(state.readyAt) - Date.parse(state.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

function urlNote(state: ServiceInfo | undefined): string {
  if (!state) return 'when the session runs';
  if (state.status === 'failed' || state.status === 'exited') return `(not serving: the service ${state.status})`;
  return 'once ready';
}

function Endpoints(props: { name: string; ports: number[]; exposed: boolean; state?: ServiceInfo; spec?: ServiceSpec; sessionUuid: string | null }) {
  if (props.ports.length === 0) return <div className="endpoint muted small-text">No ports: nothing to connect to.</div>;
  const host = props.state?.internalHostname ?? props.state?.hostname;
  if (!props.exposed) {
    return (
      <div className="endpoint small-text">
        <span className="tag">Not exposed</span>{' '}
        <span className="muted">
          Steps and other services reach it at {props.ports.map((p) => `${host ?? `${props.name}-<session>`}:${p}`).join(', ')}.
        </span>
      </div>
    );
  }
  const pbp = Boolean(props.spec?.preserve_base_path);
  return <HttpEndpoints {...props} pbp={pbp} host={host} />;
}

/** The exposed HTTP ports' links: on the service's own origin when the server has one, else the path URL. */
function HttpEndpoints(props: { name: string; ports: number[]; state?: ServiceInfo; spec?: ServiceSpec; sessionUuid: string | null; pbp: boolean; host: string | undefined }) {
  const serviceDomain = useServiceDomain();
  const { pbp, host } = props;
  return (
    <ul className="endpoint-list small-text">
      {props.ports.map((port) => {
        if (!speaksHttp(props.spec, port)) return <Address key={port} name={props.name} host={host} port={port} state={props.state} />;
        const url =
          serviceDomain && props.sessionUuid
            ? serviceUrl(props.name, props.sessionUuid, port, pbp, serviceDomain)
            : (props.state?.urls.find((u) => u.endsWith(`_${port}/`)) ?? (props.sessionUuid ? serviceUrl(props.name, props.sessionUuid, port, pbp) : null));
        if (!url) return null;
        const ready = props.state?.status === 'ready';
        return (
          <li key={port}>
            {ready ? (
              <a href={url} target="_blank" rel="noreferrer" className="service-link">
                Open port {port} <span className="mono muted">{url}</span>
              </a>
            ) : (
              <span className="muted">
                Port {port}: <span className="mono">{url}</span> {urlNote(props.state)}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** A port that is not a web page (Redis, Postgres): the address steps connect to, ready to copy. */
function Address(props: { name: string; host: string | undefined; port: number; state?: ServiceInfo }) {
  const address = `${props.host ?? `${props.name}-<session>`}:${props.port}`;
  return (
    <li className="address">
      <span className="muted">Connect at</span> <code className="connection-address">{address}</code>{' '}
      {props.host ? <CopyButton text={address} label={`Copy the address of ${props.name}`} /> : <span className="muted">{urlNote(props.state)}</span>}
    </li>
  );
}
