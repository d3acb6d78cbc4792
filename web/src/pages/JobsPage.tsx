/**
 * A project's jobs (a snapshot of a pipeline + parameters + env vars) and their runs; each run is
 * a noninteractive session of the pipeline's services plus its steps. Runs are polled while any
 * is unfinished: the jobs API has no event stream of its own.
 */
import { useEffect, useState } from 'react';
import { ApiFailure, call, type JobInfo, type RunInfo } from '../api.ts';
import { Link, navigate, projectHref, useLocation } from '../router.tsx';
import { JobForm } from '../components/JobForm.tsx';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TableHead } from '../components/TableHead.tsx';
import { useTitle } from '../lib/use-title.ts';

/** Run and step states in the CLI's colours. */
export const RUN_TONE: Record<string, string> = {
  pending: 'pending',
  starting: 'starting',
  running: 'starting',
  succeeded: 'ready',
  failed: 'failed',
  cancelled: 'stopped',
  skipped: 'stopped',
};

export const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export function JobsPage(props: { project: string }) {
  const jobs = useAsync(() => call('listJobs', { project: props.project }).catch(unavailable), `jobs-${props.project}`);
  const runs = useAsync(() => call('listRuns', { project: props.project }).catch(unavailable), `runs-${props.project}`);
  const pipelines = useAsync(() => call('listPipelines', { project: props.project }), `p-${props.project}`);
  const { query } = useLocation();
  const [error, setError] = useState<unknown>(null);
  // The run "Run now" just started, said next to the jobs table with a link to follow it.
  const [started, setStarted] = useState<{ job: string; run: RunInfo } | null>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const jobFilter = query.get('job');
  useTitle('Jobs', props.project);
  const active = (runs.data?.runs ?? []).some((r) => !FINISHED.has(r.status));

  useEffect(
    function pollWhileRunning() {
      if (!active) return;
      const timer = window.setInterval(() => void runs.reload(), 2_000);
      return () => window.clearInterval(timer);
    },
    [active, runs],
  );

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await Promise.all([jobs.reload(), runs.reload()]);
    } catch (caught) {
      setError(caught);
    }
  }

  if (jobs.data === null) {
    return (
      <section className="page">
        <Crumbs project={props.project} />
        <h1>Jobs</h1>
        <div className="empty-state">This Berth server has no jobs API.</div>
      </section>
    );
  }
  // Newest first: the run just started is the one people look for.
  const runList = [...(runs.data?.runs ?? [])]
    .filter((run) => !jobFilter || run.jobUuid === jobFilter)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const filteredJob = jobFilter ? jobs.data?.jobs.find((job) => job.uuid === jobFilter) : undefined;
  const jobsHref = `${projectHref(props.project)}/jobs`;

  async function runNow(job: JobInfo) {
    setStarting(job.uuid);
    setStarted(null);
    await act(async () => {
      const body = await call('startRun', { job: job.uuid });
      setStarted({ job: job.name, run: body.run });
    });
    setStarting(null);
  }

  return (
    <section className="page">
      <Crumbs project={props.project} />
      <h1>Jobs</h1>
      <p className="lead">A job freezes a pipeline with its parameters and env vars; each run starts the pipeline's job-scoped services, runs the steps, and stops the services.</p>
      {jobs.error ? <ErrorNote error={jobs.error} /> : null}
      {error ? <ErrorNote error={error} /> : null}
      {started ? (
        <div className="note note-ok" role="status">
          Started a run of {started.job}.{' '}
          <Link href={`${projectHref(props.project)}/runs/${encodeURIComponent(started.run.uuid)}`}>Follow run {started.run.uuid.slice(0, 8)}</Link>
        </div>
      ) : null}
      {jobs.data && jobs.data.jobs.length === 0 ? <div className="empty-state">No jobs yet. Create one below.</div> : null}
      {jobs.data && jobs.data.jobs.length > 0 ? (
        <div className="table-scroll">
          <table className="table">
            <TableHead columns={['Job', 'Pipeline', 'Created']} actions />
            <tbody>
              {jobs.data.jobs.map((job) => (
                <tr key={job.uuid}>
                  <td>
                    <Link href={`${jobsHref}?job=${encodeURIComponent(job.uuid)}#runs`} title={`Runs of ${job.name}`}>
                      {job.name}
                    </Link>
                  </td>
                  <td className="mono">{job.pipelinePath}</td>
                  <td>{new Date(job.createdAt).toLocaleString()}</td>
                  <td className="actions">
                    <button type="button" className="small primary" onClick={() => void runNow(job)} disabled={starting === job.uuid}>
                      {starting === job.uuid ? 'Starting…' : 'Run now'}
                      <span className="sr-only"> {job.name}</span>
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      onClick={() => {
                        // The runs' logs and copies of the project go too: ask first.
                        if (window.confirm(`Delete job "${job.name}" with all its runs, their step logs and copies of the project?`)) {
                          void act(() => call('deleteJob', { job: job.uuid }));
                        }
                      }}
                    >
                      Delete<span className="sr-only"> {job.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <h2>New job</h2>
      {pipelines.error ? <ErrorNote error={pipelines.error} /> : null}
      {pipelines.data ? (
        <JobForm
          project={props.project}
          pipelines={pipelines.data.pipelines}
          initialPipeline={query.get('pipeline')}
          onCreated={async (_job, run) => {
            if (run) navigate(`${projectHref(props.project)}/runs/${encodeURIComponent(run.uuid)}`);
            else await Promise.all([jobs.reload(), runs.reload()]);
          }}
        />
      ) : null}

      <h2 id="runs">{filteredJob ? `Runs of ${filteredJob.name}` : 'Runs'}</h2>
      {jobFilter ? (
        <p className="small-text">
          <Link href={jobsHref}>Show the runs of every job</Link>
        </p>
      ) : null}
      {runs.error ? <ErrorNote error={runs.error} /> : null}
      {runs.data && runList.length === 0 ? <p className="empty">No runs yet.</p> : null}
      {runList.length > 0 ? (
        <div className="table-scroll">
          <table className="table" aria-labelledby="runs">
            <TableHead columns={['Run', 'Status', 'Started', 'Finished']} actions />
            <tbody>
              {runList.map((run) => (
                <tr key={run.uuid}>
                  <td>
                    <Link href={`${projectHref(props.project)}/runs/${encodeURIComponent(run.uuid)}`}>{run.jobName ?? (run.type === 'interactive' ? 'interactive run' : run.uuid.slice(0, 8))}</Link>
                    <div className="muted small-text mono">{run.uuid.slice(0, 8)}</div>
                  </td>
                  <td>
                    <StatusBadge status={RUN_TONE[run.status] ?? 'stopped'} label={run.status} />
                    {run.reason ? <div className="small-text pre-line">{run.reason}</div> : null}
                  </td>
                  <td>{run.startedAt ? new Date(run.startedAt).toLocaleString() : '—'}</td>
                  <td>{run.finishedAt ? new Date(run.finishedAt).toLocaleString() : '—'}</td>
                  <td className="actions">
                    {FINISHED.has(run.status) ? null : (
                      <button type="button" className="small danger" onClick={() => void act(() => call('cancelRun', { run: run.uuid }))}>
                        Cancel<span className="sr-only"> run {run.uuid.slice(0, 8)}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Crumbs(props: { project: string }) {
  return (
    <nav className="crumbs" aria-label="Breadcrumbs">
      <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <Link href={projectHref(props.project)}>{props.project}</Link>{' '}
      <span aria-hidden="true">/</span> <span aria-current="page">Jobs</span>
    </nav>
  );
}

/** A server without the jobs API answers 404 for the route: the page says so instead of erroring. */
function unavailable(error: unknown): null {
  if (error instanceof ApiFailure && error.status === 404 && error.code === 'BERTH_API_NOT_FOUND') return null;
  throw error;
}
