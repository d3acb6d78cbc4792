/**
 * A project's environments (base image + setup script, built into an image that services use as
 * `environment@<uuid>`): list, create, build, and the build's log followed live. Shown only when
 * the server has the environments API; without it the route is a 404 and the section stays away.
 */
import { useState, type FormEvent } from 'react';
import { apiPath, call, openStream } from '../api.ts';
import { BUILD_TONE, fetchEnvironments, lastBuild, type EnvironmentInfo } from '../lib/environments.ts';
import { Link, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { StatusBadge } from './StatusBadge.tsx';

export type { EnvironmentInfo } from '../lib/environments.ts';
export { fetchEnvironments } from '../lib/environments.ts';

export function EnvironmentsSection(props: { project: string }) {
  const environments = useAsync(() => fetchEnvironments(props.project), props.project);
  const [error, setError] = useState<unknown>(null);
  const [log, setLog] = useState<{ env: string; number: number; text: string; done: boolean } | null>(null);
  const [name, setName] = useState('');
  const [baseImage, setBaseImage] = useState('python:3.12-slim');

  if (environments.data === null) return null;

  async function build(env: EnvironmentInfo) {
    setError(null);
    try {
      const { build: started } = await call('startBuild', { project: props.project, env: env.uuid });
      await environments.reload();
      await followBuild(env.uuid, started.number);
    } catch (caught) {
      setError(caught);
    }
  }

  async function followBuild(env: string, number: number) {
    setLog({ env, number, text: '', done: false });
    const reader = await openStream(apiPath('buildLog', { project: props.project, env, number }), new AbortController().signal);
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      setLog((old) => (old && old.env === env && old.number === number ? { ...old, text: old.text + chunk } : old));
    }
    setLog((old) => (old ? { ...old, done: true } : old));
    await environments.reload();
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await call('createEnvironment', { project: props.project }, { name: name.trim(), base_image: baseImage.trim() });
      setName('');
      await environments.reload();
    } catch (caught) {
      setError(caught);
    }
  }

  const list = environments.data ?? [];
  return (
    <>
      <div className="row-between">
        <h2>Environments</h2>
        <Link href={`${projectHref(props.project)}/environments`}>Edit setup scripts and build history</Link>
      </div>
      <p className="muted">A base image plus a setup script, built into an image. A service runs one with the image <code>environment@&lt;uuid&gt;</code>.</p>
      {environments.error ? <ErrorNote error={environments.error} /> : null}
      {environments.data && list.length === 0 ? <p className="empty">No environments in this project yet.</p> : null}
      {list.length > 0 ? (
        <ul className="card-list" aria-label="Environments">
          {list.map((env) => {
            const last = lastBuild(env);
            return (
              <li key={env.uuid} className="card">
                <div className="row-between">
                  <div>
                    <strong>{env.name}</strong> <span className="muted small-text">{env.language ?? ''}</span>
                  </div>
                  <div className="row-between">
                    {last ? <StatusBadge status={BUILD_TONE[last.status] ?? 'stopped'} label={`build ${last.number} ${last.status}`} /> : <StatusBadge status="stopped" label="not built" />}
                    <button type="button" className="small" onClick={() => void build(env)} disabled={last?.status === 'building'}>
                      Build<span className="sr-only"> {env.name}</span>
                    </button>
                    {last ? (
                      <button type="button" className="small" onClick={() => void followBuild(env.uuid, last.number).catch(setError)}>
                        Build log<span className="sr-only"> of {env.name}</span>
                      </button>
                    ) : null}
                  </div>
                </div>
                <div className="muted small-text">
                  <span className="mono">environment@{env.uuid}</span> · base <span className="mono">{env.base_image}</span>
                  {env.currentImage ? (
                    <>
                      {' '}
                      · image <span className="mono">{env.currentImage}</span>
                    </>
                  ) : null}
                </div>
                {last?.error ? <div className="field-error">{last.error}</div> : null}
                {log && log.env === env.uuid ? (
                  <pre className="log-box build-log" role="log" aria-label={`Build ${log.number} of ${env.name}`} tabIndex={0}>
                    {log.text || (log.done ? '(empty log)' : 'waiting for output…')}
                  </pre>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
      <form className="env-add" onSubmit={create} aria-label="New environment">
        <div className="field">
          <label htmlFor="new-env-name">New environment name</label>
          <input id="new-env-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Python tools" />
          <p className="help"> </p>
        </div>
        <div className="field">
          <label htmlFor="new-env-base">Base image</label>
          <input id="new-env-base" value={baseImage} onChange={(e) => setBaseImage(e.target.value)} className="mono" />
          <p className="help">Its setup script is saved in the project under .orchest/environments.</p>
        </div>
        <button type="submit" disabled={!name.trim() || !baseImage.trim()}>
          Create environment
        </button>
      </form>
    </>
  );
}
