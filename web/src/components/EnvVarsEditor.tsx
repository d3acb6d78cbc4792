/**
 * Project or pipeline env vars: secrets kept by Berth, never in the project directory. Values
 * stay masked unless the user asks to see them; setting a value never needs to reveal the old one.
 */
import { useState, type FormEvent } from 'react';
import { apiPath, call } from '../api.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { TableHead } from './TableHead.tsx';

/** Orchest's rule (webserver-utils.ts isValidEnvironmentVariableName), also enforced by the API. */
const ENV_NAME = /^[0-9a-zA-Z\-_]+$/;

/** The env var operations of one scope: the project's vars, or one pipeline's (which override them). */
function envVarsOf(project: string, pipeline: string | undefined) {
  if (pipeline === undefined) {
    return {
      base: apiPath('listProjectEnv', { project }),
      list: (reveal: boolean) => call('listProjectEnv', { project, reveal }),
      set: (name: string, value: string) => call('setProjectEnv', { project, name }, { value }),
      unset: (name: string) => call('unsetProjectEnv', { project, name }),
    };
  }
  return {
    base: apiPath('listPipelineEnv', { project, pipeline }),
    list: (reveal: boolean) => call('listPipelineEnv', { project, pipeline, reveal }),
    set: (name: string, value: string) => call('setPipelineEnv', { project, pipeline, name }, { value }),
    unset: (name: string) => call('unsetPipelineEnv', { project, pipeline, name }),
  };
}

export function EnvVarsEditor(props: { project: string; pipeline?: string; label: string; onChange?: () => void }) {
  const vars = envVarsOf(props.project, props.pipeline);
  const [revealed, setRevealed] = useState(false);
  const list = useAsync(() => vars.list(revealed), `${vars.base}|${revealed}`);
  const [editing, setEditing] = useState<string | null>(null);
  const [editValue, setEditValue] = useState('');
  const [newName, setNewName] = useState('');
  const [newValue, setNewValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const nameProblem = newName && !ENV_NAME.test(newName) ? 'Use letters, digits, "-" and "_" only.' : null;

  async function run(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await list.reload();
      props.onChange?.();
    } catch (caught) {
      setError(caught);
    }
  }

  function add(event: FormEvent) {
    event.preventDefault();
    if (nameProblem || !newName) return;
    void run(async () => {
      await vars.set(newName, newValue);
      setNewName('');
      setNewValue('');
    });
  }

  const entries = list.data?.env ?? [];
  return (
    <section className="env-editor" aria-label={props.label}>
      <div className="row-between">
        <h3>{props.label}</h3>
        <button type="button" className="link-button" onClick={() => setRevealed((r) => !r)} disabled={entries.length === 0}>
          {revealed ? 'Hide values' : 'Show values'}
        </button>
      </div>
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading ? <p className="muted placeholder-line">Loading…</p> : null}
      {list.data && entries.length === 0 ? <p className="empty">No variables yet. Services can inherit the ones you add here.</p> : null}
      {entries.length > 0 ? (
        <div className="table-scroll">
          <table className="table env-table">
            <TableHead columns={['Name', 'Value']} actions />
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.name}>
                  <td>
                    <code>{entry.name}</code>
                  </td>
                  <td>
                    {editing === entry.name ? (
                      <form
                        className="inline-form"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void run(async () => {
                            await vars.set(entry.name, editValue);
                            setEditing(null);
                          });
                        }}
                      >
                        <label className="sr-only" htmlFor={`env-edit-${entry.name}`}>
                          New value of {entry.name}
                        </label>
                        <input id={`env-edit-${entry.name}`} value={editValue} onChange={(e) => setEditValue(e.target.value)} autoFocus />
                        <button type="submit" className="small primary">
                          Save
                        </button>
                        <button type="button" className="small" onClick={() => setEditing(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <span className={entry.value === undefined ? 'masked' : 'mono'}>{entry.value ?? '••••••••'}</span>
                    )}
                  </td>
                  <td className="actions">
                    {editing === entry.name ? null : (
                      <>
                        <button
                          type="button"
                          className="small"
                          onClick={() => {
                            setEditing(entry.name);
                            setEditValue(entry.value ?? '');
                          }}
                        >
                          Edit<span className="sr-only"> {entry.name}</span>
                        </button>
                        <button
                          type="button"
                          className="small danger"
                          onClick={() => void run(() => vars.unset(entry.name))}
                        >
                          Remove<span className="sr-only"> {entry.name}</span>
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form className="env-add" onSubmit={add}>
        <div className="field">
          <label htmlFor={`${vars.base}-name`}>Name</label>
          <input
            id={`${vars.base}-name`}
            value={newName}
            onChange={(e) => setNewName(e.target.value)}
            aria-invalid={nameProblem ? true : undefined}
            placeholder="API_TOKEN"
          />
          <p className={nameProblem ? 'field-error' : 'help'}>{nameProblem ?? 'Letters, digits, "-" and "_".'}</p>
        </div>
        <div className="field">
          <label htmlFor={`${vars.base}-value`}>Value</label>
          <input id={`${vars.base}-value`} type="password" autoComplete="off" value={newValue} onChange={(e) => setNewValue(e.target.value)} />
          <p className="help">Stored by Berth, never written to the project.</p>
        </div>
        <button type="submit" disabled={!newName || Boolean(nameProblem)}>
          Add variable
        </button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}
