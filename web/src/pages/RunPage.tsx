/**
 * One run: its steps in DAG order with status, exit code and duration, its services, and each
 * step's and service's log (followed live while the run runs).
 */
import { useEffect, useState } from 'react';
import { apiPath, call } from '../api.ts';
import { StreamedLog } from '../components/StreamedLog.tsx';
import { Link, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { FINISHED, RUN_TONE } from './JobsPage.tsx';

export function RunPage(props: { project: string; run: string }) {
  const run = useAsync(() => call('getRun', { run: props.run }), props.run);
  const [step, setStep] = useState<string | null>(null);
  const [service, setService] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const data = run.data?.run;
  const finished = data ? FINISHED.has(data.status) : false;
  useTitle(`${data?.jobName ?? 'Run'} ${props.run.slice(0, 8)}`, props.project);

  useEffect(
    function pollWhileRunning() {
      if (!data || finished) return;
      const timer = window.setInterval(() => void run.reload(), 1_500);
      return () => window.clearInterval(timer);
    },
    [data, finished, run],
  );

  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <Link href={projectHref(props.project)}>{props.project}</Link>{' '}
        <span aria-hidden="true">/</span> <Link href={`${projectHref(props.project)}/jobs`}>Jobs</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">Run {props.run.slice(0, 8)}</span>
      </nav>
      <div className="row-between page-head">
        <h1>{data?.jobName ?? 'Run'}</h1>
        {data && !finished ? (
          <button
            type="button"
            className="danger"
            onClick={() =>
              void call('cancelRun', { run: props.run })
                .then(() => run.reload())
                .catch(setError)
            }
          >
            Cancel run
          </button>
        ) : null}
      </div>
      {run.error ? <ErrorNote error={run.error} /> : null}
      {error ? <ErrorNote error={error} /> : null}
      {data ? (
        <>
          <div className="session-bar card">
            <div className="session-state">
              <span className="muted">Run</span>
              <StatusBadge status={RUN_TONE[data.status] ?? 'stopped'} label={data.status} />
              {data.reason ? <span className="small-text pre-line session-reason">{data.reason}</span> : null}
            </div>
            <span className="muted small-text mono">{data.pipelinePath}</span>
          </div>
          <div className="pipeline-grid">
            <section aria-labelledby="run-steps">
              <h2 id="run-steps">Steps</h2>
              <ul className="service-list">
                {data.steps.map((s) => (
                  <li key={s.stepUuid} className="service-row">
                    <div className="service-head">
                      <div className="service-main">
                        <div className="service-title">
                          <strong>{s.title}</strong>
                          <StatusBadge status={RUN_TONE[s.status] ?? 'stopped'} label={s.status} />
                          <span className="muted small-text">
                            {s.exitCode === null ? '' : `exit ${s.exitCode}`}
                            {s.durationMs === null ? '' : ` · ${(s.durationMs / 1000).toFixed(1)} s`}
                          </span>
                        </div>
                        <div className="muted small-text mono">{s.filePath}</div>
                        {s.reason ? <div className="service-problem pre-line">{s.reason}</div> : null}
                      </div>
                      <button type="button" className="small" aria-expanded={step === s.stepUuid} onClick={() => setStep(step === s.stepUuid ? null : s.stepUuid)}>
                        {step === s.stepUuid ? 'Hide log' : 'Log'}
                        <span className="sr-only"> of {s.title}</span>
                      </button>
                    </div>
                    {step === s.stepUuid ? <StreamedLog url={apiPath('stepLogs', { run: props.run, step: s.stepUuid, follow: true })} label={`Log of ${s.title}`} /> : null}
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="run-services">
              <h2 id="run-services">Services</h2>
              {data.services.length === 0 ? <p className="empty">No job-scoped services.</p> : null}
              <ul className="service-list">
                {data.services.map((s) => (
                  <li key={s.name} className="service-row">
                    <div className="service-head">
                      <div className="service-main">
                        <div className="service-title">
                          <strong>{s.name}</strong>
                          <StatusBadge status={s.status} />
                        </div>
                        {s.reason ? <div className="service-problem pre-line">{s.reason}</div> : null}
                      </div>
                      <button type="button" className="small" aria-expanded={service === s.name} onClick={() => setService(service === s.name ? null : s.name)}>
                        {service === s.name ? 'Hide log' : 'Log'}
                        <span className="sr-only"> of service {s.name}</span>
                      </button>
                    </div>
                    {/* The run's session has the run's uuid, so its services' logs are the session's. */}
                    {service === s.name ? <StreamedLog url={apiPath('serviceLogs', { sid: props.run, name: s.name, follow: true, tail: 2000 })} label={`Log of service ${s.name}`} /> : null}
                  </li>
                ))}
              </ul>
            </section>
          </div>
        </>
      ) : null}
    </section>
  );
}
