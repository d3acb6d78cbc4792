import { call } from '../api.ts';
import { Link, pipelineHref, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { EnvVarsEditor } from '../components/EnvVarsEditor.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { EnvironmentsSection } from '../components/EnvironmentsSection.tsx';

export function ProjectPage(props: { project: string }) {
  const project = useAsync(() => call('getProject', { project: props.project }), `project-${props.project}`);
  const pipelines = useAsync(() => call('listPipelines', { project: props.project }), `pipelines-${props.project}`);
  useTitle(props.project);

  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <span aria-current="page">{props.project}</span>
      </nav>
      <div className="row-between page-head">
        <h1>{props.project}</h1>
        <Link href={`${projectHref(props.project)}/jobs`} className="button">
          Jobs
        </Link>
      </div>
      <p className="muted mono small-text placeholder-line">{project.data?.project.path ?? ' '}</p>
      {project.error ? <ErrorNote error={project.error} /> : null}

      <h2>Pipelines</h2>
      {pipelines.error ? <ErrorNote error={pipelines.error} /> : null}
      {!pipelines.data && pipelines.loading ? <p className="muted placeholder-line">Loading pipelines…</p> : null}
      {pipelines.data && pipelines.data.pipelines.length === 0 ? (
        <div className="empty-state">
          <p>
            This directory has no <code>.orchest</code> files yet.
          </p>
        </div>
      ) : null}
      {pipelines.data && pipelines.data.pipelines.length > 0 ? (
        <ul className="card-list" aria-label="Pipelines">
          {pipelines.data.pipelines.map((pipeline) => {
            const errors = pipeline.diagnostics.filter((d) => d.severity === 'error');
            return (
              <li key={pipeline.path} className="card">
                <div className="row-between">
                  <Link href={pipelineHref(props.project, pipeline.path)} className="card-title">
                    {pipeline.name ?? pipeline.path}
                  </Link>
                  {pipeline.valid ? <StatusBadge status="ready" label="valid" /> : <StatusBadge status="failed" label={`${errors.length} error${errors.length === 1 ? '' : 's'}`} />}
                </div>
                <div className="muted small-text">
                  <span className="mono">{pipeline.path}</span> · {pipeline.services.length} service{pipeline.services.length === 1 ? '' : 's'}
                  {pipeline.services.length ? `: ${pipeline.services.join(', ')}` : ''}
                </div>
                {errors.length > 0 ? (
                  <ul className="diag-list">
                    {errors.slice(0, 3).map((d, i) => (
                      <li key={i}>
                        <code>{d.path || '(file)'}</code> {d.message}
                      </li>
                    ))}
                    {errors.length > 3 ? <li className="muted">…and {errors.length - 3} more</li> : null}
                  </ul>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}

      <EnvironmentsSection project={props.project} />

      <h2>Project environment variables</h2>
      <p className="muted">Every pipeline of the project sees these; a pipeline's own variables win. Services get them only by inheriting them by name.</p>
      <EnvVarsEditor project={props.project} label="Project variables" />
    </section>
  );
}
