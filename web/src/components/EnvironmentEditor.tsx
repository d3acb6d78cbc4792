/**
 * One environment's definition: name, base image and setup script, saved to the project's
 * `.orchest/environments/<uuid>/`. Checked here before saving so the message sits at its field;
 * the server's own validation (e.g. spaces in the image) still answers through the error note.
 */
import { useState, type FormEvent } from 'react';
import { call } from '../api.ts';
import type { EnvironmentDetail } from '../lib/environments.ts';
import { described, Field } from './Field.tsx';
import { ErrorNote } from './ErrorNote.tsx';
import { ScriptEditor } from './ScriptEditor.tsx';

interface Draft {
  name: string;
  baseImage: string;
  script: string;
}

function draftOf(env: EnvironmentDetail): Draft {
  return { name: env.name, baseImage: env.base_image, script: env.setupScript };
}

/** Keyed by the environment's uuid by its parent, so another environment starts a fresh draft. */
export function EnvironmentEditor(props: { project: string; environment: EnvironmentDetail; onSaved: () => Promise<void> }) {
  const { environment } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(environment));
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  const nameErrors = tried && !draft.name.trim() ? ['Give the environment a name.'] : [];
  const imageErrors = tried && !draft.baseImage.trim() ? ['A base image is required, e.g. python:3.12-slim.'] : [];
  const dirty = draft.name !== environment.name || draft.baseImage !== environment.base_image || draft.script !== environment.setupScript;

  function change(patch: Partial<Draft>) {
    setDraft((old) => ({ ...old, ...patch }));
    setSaved(false);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setError(null);
    if (!draft.name.trim() || !draft.baseImage.trim()) return;
    setSaving(true);
    try {
      await call('updateEnvironment', { project: props.project, env: environment.uuid }, {
        name: draft.name.trim(),
        base_image: draft.baseImage.trim(),
        setupScript: draft.script,
      });
      await props.onSaved();
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  }

  const id = `env-${environment.uuid}`;
  return (
    <form className="env-form" onSubmit={save} aria-label={`Edit ${environment.name}`} noValidate>
      <div className="form-grid">
        <Field id={`${id}-name`} label="Name" errors={nameErrors}>
          <input {...described(`${id}-name`, nameErrors)} value={draft.name} onChange={(e) => change({ name: e.target.value })} />
        </Field>
        <Field id={`${id}-base`} label="Base image" errors={imageErrors} help="The image the setup script runs in.">
          <input {...described(`${id}-base`, imageErrors)} className="mono" value={draft.baseImage} onChange={(e) => change({ baseImage: e.target.value })} />
        </Field>
      </div>
      <Field id={`${id}-script`} label="Setup script" help={<>Runs with bash while the image builds; saved as <code>.orchest/environments/{environment.uuid}/setup_script.sh</code>. Tab leaves the editor.</>}>
        <ScriptEditor id={`${id}-script`} value={draft.script} onChange={(script) => change({ script })} describedBy={`${id}-script-msg`} />
      </Field>
      {error ? <ErrorNote error={error} /> : null}
      <div className="form-actions">
        <span className="muted small-text" role="status">
          {saved ? 'Saved.' : dirty ? 'Unsaved changes.' : ' '}
        </span>
        <button type="button" onClick={() => change(draftOf(environment))} disabled={!dirty || saving}>
          Discard changes
        </button>
        <button type="submit" className="primary" disabled={saving}>
          Save environment
        </button>
      </div>
    </form>
  );
}
