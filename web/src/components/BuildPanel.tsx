/**
 * Builds of one environment: start one and follow its log live (a streaming fetch of the log
 * endpoint, which ends with `berth: build N <status>`), cancel it, and the history of earlier
 * builds. When nothing can build (no container engine, no registry on Kubernetes), the API's error
 * and its hint are shown here.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiFailure, call } from '../api.ts';
import { BUILD_TONE, statusFromLog, streamBuildLog, type BuildSummary, type EnvironmentDetail } from '../lib/environments.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { TableHead } from './TableHead.tsx';

interface Followed {
  number: number;
  text: string;
  done: boolean;
}

/** The environment as GET answers it: its builds, when the server listed them. */
export function BuildPanel(props: { project: string; environment: Pick<EnvironmentDetail, 'uuid' | 'name' | 'builds'>; onChange: () => Promise<void> }) {
  const { project, environment } = props;
  const [followed, setFollowed] = useState<Followed | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const builds = [...(environment.builds ?? [])].sort((a, b) => b.number - a.number);
  const building = builds.some((b) => b.status === 'building') || (followed !== null && !followed.done);

  useEffect(
    function stopFollowingOnLeave() {
      return () => controller.current?.abort();
    },
    [environment.uuid],
  );

  useLayoutEffect(
    function keepScrolledToEnd() {
      if (box.current) box.current.scrollTop = box.current.scrollHeight;
    },
    [followed?.text],
  );

  async function follow(number: number) {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setFollowed({ number, text: '', done: false });
    try {
      await streamBuildLog(project, environment.uuid, number, mine.signal, (chunk) =>
        setFollowed((old) => (old && old.number === number ? { ...old, text: old.text + chunk } : old)),
      );
      setFollowed((old) => (old && old.number === number ? { ...old, done: true } : old));
      await props.onChange();
    } catch (caught) {
      if (!mine.signal.aborted) setError(caught);
    }
  }

  async function build() {
    setError(null);
    setStarting(true);
    try {
      const { build: started } = await call('startBuild', { project, env: environment.uuid });
      setStarting(false);
      await props.onChange();
      await follow(started.number);
    } catch (caught) {
      setError(caught);
    } finally {
      setStarting(false);
    }
  }

  async function cancel(number: number) {
    setError(null);
    try {
      // The followed log ends by itself with `berth: build N cancelled`.
      await call('cancelBuild', { project, env: environment.uuid, number });
    } catch (caught) {
      setError(caught);
    }
  }

  const finalStatus = followed?.done ? statusFromLog(followed.text) : null;
  const cannotBuild = error instanceof ApiFailure && ['BERTH_API_NO_ENGINE', 'BERTH_RUNTIME_NO_REGISTRY'].includes(error.code);
  return (
    <section className="build-panel" aria-label={`Builds of ${environment.name}`}>
      <div className="build-bar">
        <button type="button" className="primary" onClick={() => void build()} disabled={building || starting}>
          {building ? 'Building…' : 'Build'}
          <span className="sr-only"> {environment.name}</span>
        </button>
        {followed && !followed.done ? (
          <button type="button" onClick={() => void cancel(followed.number)}>
            Cancel build<span className="sr-only"> {followed.number}</span>
          </button>
        ) : null}
        {followed ? (
          finalStatus ? (
            <StatusBadge status={BUILD_TONE[finalStatus] ?? 'stopped'} label={`build ${followed.number} ${finalStatus}`} />
          ) : (
            <StatusBadge status={followed.done ? 'stopped' : 'starting'} label={`build ${followed.number} ${followed.done ? 'ended' : 'building'}`} />
          )
        ) : null}
      </div>
      {error ? <ErrorNote error={error} title={cannotBuild ? 'Cannot build here' : 'Build problem'} /> : null}
      {followed ? (
        <pre className="log-box" ref={box} role="log" aria-label={`Build ${followed.number} log`} aria-live="off" tabIndex={0}>
          {followed.text || (followed.done ? '(empty log)' : 'waiting for output…')}
        </pre>
      ) : null}
      <h3>Build history</h3>
      {builds.length === 0 ? (
        <p className="empty">
          <StatusBadge status="stopped" label="not built" /> Services cannot use this environment until a build succeeds.
        </p>
      ) : (
        <BuildHistory builds={builds} onShowLog={(n) => void follow(n)} />
      )}
    </section>
  );
}

function BuildHistory(props: { builds: BuildSummary[]; onShowLog: (number: number) => void }) {
  return (
    <div className="table-scroll">
      <table className="table" aria-label="Build history">
        <TableHead columns={['#', 'Status', 'Image', 'Started', 'Finished']} actions />
        <tbody>
          {props.builds.map((b) => (
            <tr key={b.number}>
              <td>{b.number}</td>
              <td>
                <StatusBadge status={BUILD_TONE[b.status] ?? 'stopped'} label={b.status} />
                {b.error ? <div className="small-text text-bad pre-line">{b.error}</div> : null}
              </td>
              <td className="mono small-text">{b.image}</td>
              <td>{new Date(b.startedAt).toLocaleString()}</td>
              <td>{b.finishedAt ? new Date(b.finishedAt).toLocaleString() : '—'}</td>
              <td className="actions">
                <button type="button" className="small" onClick={() => props.onShowLog(b.number)}>
                  Log<span className="sr-only"> of build {b.number}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
