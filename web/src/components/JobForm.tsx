/**
 * A new job from one pipeline: name, env vars (copied names, masked values, overrides, additions)
 * and parameters (JSON at each field). "Create job" only creates it; "Create and run" also starts
 * a run and opens it. Nothing is sent while a field has a problem.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { call, type PipelineDocument, type PipelineInfo } from '../api.ts';
import { useAsync } from '../lib/use-async.ts';
import { envRowProblem, inheritedEnvRows, jobBody, paramProblem, paramRows, type EnvRow, type ParamRow } from '../lib/job-form.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { JobEnvRows } from './JobEnvRows.tsx';
import { JobParamRows } from './JobParamRows.tsx';

interface Loaded {
  doc: PipelineDocument;
  env: EnvRow[];
}

export function JobForm(props: {
  project: string;
  pipelines: PipelineInfo[];
  initialPipeline: string | null;
  onCreated: (job: { uuid: string; name: string }, run: { uuid: string } | null) => Promise<void>;
}) {
  const valid = props.pipelines.filter((p) => p.valid);
  const [chosen, setChosen] = useState(props.initialPipeline ?? '');
  const pipeline = chosen || valid[0]?.path || '';
  const loaded = useAsync<Loaded | null>(async () => {
    if (!pipeline) return null;
    const [doc, projectEnv, pipelineEnv] = await Promise.all([
      call('getPipeline', { project: props.project, pipeline }),
      call('listProjectEnv', { project: props.project }),
      call('listPipelineEnv', { project: props.project, pipeline }),
    ]);
    return { doc, env: inheritedEnvRows(projectEnv.env, pipelineEnv.env) };
  }, `${props.project}|${pipeline}`);
  const [name, setName] = useState('');
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [params, setParams] = useState<ParamRow[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(
    function startFromThePipeline() {
      setEnv(loaded.data?.env ?? []);
      setParams(paramRows(loaded.data?.doc.spec ?? null));
      setTried(false);
    },
    [loaded.data],
  );

  const blocked = env.some((row) => envRowProblem(row, env)) || params.some((row) => paramProblem(row));

  async function submit(run: boolean) {
    setTried(true);
    setError(null);
    if (!pipeline || blocked) return;
    setBusy(true);
    try {
      const { job } = await call('createJob', {}, jobBody({ project: props.project, pipeline, name, env, params }));
      const started = run ? (await call('startRun', { job: job.uuid })).run : null;
      setName('');
      setEnv(loaded.data?.env ?? []);
      setParams(paramRows(loaded.data?.doc.spec ?? null));
      setTried(false);
      await props.onCreated(job, started);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    void submit(submitter?.getAttribute('value') === 'run');
  }

  return (
    <form className="card job-form" onSubmit={onSubmit} aria-label="New job" noValidate>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="job-pipeline">Pipeline</label>
          <select id="job-pipeline" value={pipeline} onChange={(e) => setChosen(e.target.value)}>
            {props.pipelines.map((p) => (
              <option key={p.path} value={p.path} disabled={!p.valid}>
                {p.name ?? p.path}
                {p.valid ? '' : ' (has errors)'}
              </option>
            ))}
          </select>
          <p className="help">The file is copied into the job as it is now.</p>
        </div>
        <div className="field">
          <label htmlFor="job-name">Job name (optional)</label>
          <input id="job-name" value={name} onChange={(e) => setName(e.target.value)} />
          <p className="help"> </p>
        </div>
      </div>
      {loaded.error ? <ErrorNote error={loaded.error} /> : null}
      <JobParamRows rows={params} onChange={setParams} />
      <JobEnvRows rows={env} onChange={setEnv} showProblems={tried} />
      {error ? <ErrorNote error={error} /> : null}
      <div className="form-actions">
        <span className="field-error" role="status">
          {tried && blocked ? 'Fix the marked fields first.' : ' '}
        </span>
        <button type="submit" value="create" disabled={!pipeline || busy || !loaded.data}>
          Create job
        </button>
        <button type="submit" value="run" className="primary" disabled={!pipeline || busy || !loaded.data}>
          Create and run
        </button>
      </div>
    </form>
  );
}
