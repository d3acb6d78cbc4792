/**
 * A project's environments: the list (current image, last build), a form for a new one, and the
 * chosen one's editor and builds. The chosen environment is in the URL (?env=<uuid>) so the page
 * can be linked and survives a reload.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../api.ts';
import { Link, navigate, projectHref, useLocation } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { useTitle } from '../lib/use-title.ts';
import { BUILD_TONE, fetchEnvironments, lastBuild, type EnvironmentInfo } from '../lib/environments.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { described, Field } from '../components/Field.tsx';
import { ScriptEditor } from '../components/ScriptEditor.tsx';
import { EnvironmentEditor } from '../components/EnvironmentEditor.tsx';
import { BuildPanel } from '../components/BuildPanel.tsx';
import { TableHead } from '../components/TableHead.tsx';

export function EnvironmentsPage(props: { project: string }) {
  const { query } = useLocation();
  const selected = query.get('env');
  const here = `${projectHref(props.project)}/environments`;
  const list = useAsync(() => fetchEnvironments(props.project), `envs-${props.project}`);
  useTitle('Environments', props.project);
  const detail = useAsync(
    () => (selected ? call('getEnvironment', { project: props.project, env: selected }).then((b) => b.environment) : Promise.resolve(null)),
    `env-${props.project}-${selected ?? ''}`,
  );

  async function reloadAll() {
    await Promise.all([list.reload(), detail.reload()]);
  }

  const environments = list.data ?? [];
  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <Link href={projectHref(props.project)}>{props.project}</Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">Environments</span>
      </nav>
      <h1>Environments</h1>
      <p className="lead">
        A base image plus a setup script, built into an image. A service runs one with the image <code>environment@&lt;uuid&gt;</code>.
      </p>
      {list.error ? <ErrorNote error={list.error} /> : null}
      {list.data === null ? <div className="empty-state">This Berth server has no environments API.</div> : null}
      {list.data ? (
        <div className="env-layout">
          <div>
            {environments.length === 0 ? <div className="empty-state">No environments in this project yet. Create one below.</div> : null}
            {environments.length > 0 ? <EnvironmentTable project={props.project} environments={environments} selected={selected} /> : null}
            <NewEnvironmentForm project={props.project} onCreated={(uuid) => void list.reload().then(() => navigate(`${here}?env=${encodeURIComponent(uuid)}`))} />
          </div>
          <div>
            {detail.error ? <ErrorNote error={detail.error} /> : null}
            {!selected ? <p className="muted">Choose an environment to edit its setup script and build it.</p> : null}
            {detail.data && detail.data.uuid === selected ? (
              <div className="card">
                <h2 className="card-heading">{detail.data.name}</h2>
                <p className="muted small-text mono">environment@{detail.data.uuid}</p>
                <EnvironmentEditor key={detail.data.uuid} project={props.project} environment={detail.data} onSaved={reloadAll} />
                <BuildPanel key={`b-${detail.data.uuid}`} project={props.project} environment={detail.data} onChange={reloadAll} />
              </div>
            ) : null}
          </div>
        </div>
      ) : null}
    </section>
  );
}

function EnvironmentTable(props: { project: string; environments: EnvironmentInfo[]; selected: string | null }) {
  const here = `${projectHref(props.project)}/environments`;
  return (
    <div className="table-scroll">
      <table className="table env-table" aria-label="Environments">
        <TableHead columns={['Environment', 'Last build']} />
        <tbody>
          {props.environments.map((env) => {
            const last = lastBuild(env);
            return (
              <tr key={env.uuid} className={env.uuid === props.selected ? 'selected' : undefined}>
                <td>
                  <Link href={`${here}?env=${encodeURIComponent(env.uuid)}`} aria-current={env.uuid === props.selected ? 'true' : undefined}>
                    {env.name}
                  </Link>
                  <div className="muted small-text mono">{env.currentImage ?? env.base_image}</div>
                </td>
                <td>{last ? <StatusBadge status={BUILD_TONE[last.status] ?? 'stopped'} label={`build ${last.number} ${last.status}`} /> : <StatusBadge status="stopped" label="not built" />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const STARTER_SCRIPT = '#!/bin/bash\nset -e\n\n# e.g. apt-get update && apt-get install -y --no-install-recommends <package>\n';

function NewEnvironmentForm(props: { project: string; onCreated: (uuid: string) => void }) {
  const [name, setName] = useState('');
  const [baseImage, setBaseImage] = useState('python:3.12-slim');
  const [script, setScript] = useState(STARTER_SCRIPT);
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const nameErrors = tried && !name.trim() ? ['Give the environment a name.'] : [];
  const imageErrors = tried && !baseImage.trim() ? ['A base image is required, e.g. python:3.12-slim.'] : [];

  async function create(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setError(null);
    if (!name.trim() || !baseImage.trim()) return;
    try {
      const { environment } = await call('createEnvironment', { project: props.project }, {
        name: name.trim(),
        base_image: baseImage.trim(),
        setupScript: script,
      });
      setName('');
      setTried(false);
      props.onCreated(environment.uuid);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <form className="card form-card env-form" onSubmit={create} aria-label="New environment" noValidate>
      <h2>New environment</h2>
      <Field id="create-env-name" label="Name" errors={nameErrors}>
        <input {...described('create-env-name', nameErrors)} value={name} onChange={(e) => setName(e.target.value)} placeholder="Python tools" />
      </Field>
      <Field id="create-env-base" label="Base image" errors={imageErrors}>
        <input {...described('create-env-base', imageErrors)} className="mono" value={baseImage} onChange={(e) => setBaseImage(e.target.value)} />
      </Field>
      <Field id="create-env-script" label="Setup script" help="You can change it later.">
        <ScriptEditor id="create-env-script" value={script} onChange={setScript} rows={6} describedBy="create-env-script-msg" />
      </Field>
      {error ? <ErrorNote error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary">
          Create environment
        </button>
      </div>
    </form>
  );
}
