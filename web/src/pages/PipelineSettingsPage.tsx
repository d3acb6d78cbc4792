/**
 * Pipeline settings: Services (the editor), Environment variables and Parameters tabs, one Save.
 * Validation runs as the user types with the spec layer's validator (the same zod schema and
 * messages as `berth validate` and the server's save); Save is refused while anything is wrong, and the write is refused with 409
 * if the file changed on disk since it was loaded, so no edit made elsewhere is overwritten.
 */
import { useEffect, useMemo, useState } from 'react';
import type { Diagnostic, PipelineSpec } from '../../../src/spec/browser.ts';
import { ApiFailure, call, type EnvVarEntry, type PipelineDocument, type PlanDiff, type TemplateInfo } from '../api.ts';
import { guardLeaving, Link, pipelineHref, projectHref } from '../router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { isActive, useSession } from '../lib/use-session.ts';
import { draftFromService, errorsForService, otherErrors, specFromDrafts, specToSave, uniqueName, type ServiceDraft } from '../lib/draft.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { ServiceForm } from '../components/ServiceForm.tsx';
import { TemplatePicker } from '../components/TemplatePicker.tsx';
import { EnvVarsEditor } from '../components/EnvVarsEditor.tsx';
import { DiagnosticsList } from '../components/DiagnosticsList.tsx';
import { ApplyBanner, ApplyResult } from '../components/ApplyBanner.tsx';
import { fetchEnvironments } from '../components/EnvironmentsSection.tsx';
import { validateDraft } from '../lib/validate.ts';
import { useLocation } from '../router.tsx';

type Tab = 'services' | 'env' | 'parameters';
const TABS: { id: Tab; label: string }[] = [
  { id: 'services', label: 'Services' },
  { id: 'env', label: 'Environment variables' },
  { id: 'parameters', label: 'Parameters' },
];

interface Loaded {
  doc: PipelineDocument;
  inheritable: string[];
}

export function PipelineSettingsPage(props: { project: string; pipeline: string }) {
  const { query } = useLocation();
  const tab = (TABS.find((t) => t.id === query.get('tab'))?.id ?? 'services') as Tab;
  const file = { project: props.project, pipeline: props.pipeline };
  const loaded = useAsync<Loaded>(async () => {
    const [doc, projectEnv, pipelineEnv] = await Promise.all([
      call('getPipeline', file),
      call('listProjectEnv', { project: props.project }),
      call('listPipelineEnv', file).catch(() => ({ env: [] as EnvVarEntry[] })),
    ]);
    return { doc, inheritable: [...new Set([...projectEnv.env, ...pipelineEnv.env].map((e) => e.name))] };
  }, `${props.project}|${props.pipeline}`);
  const environments = useAsync(() => fetchEnvironments(props.project).catch(() => null), `env-${props.project}`);
  const doc = loaded.data?.doc;
  const live = useSession(doc?.sessionUuid ?? null);
  // Kept here, not in the editor: a save reloads the file and remounts the editor.
  const [savedWhileRunning, setSavedWhileRunning] = useState(false);
  const [applied, setApplied] = useState<PlanDiff | null>(null);
  // Which service card is open, by name: it stays open when a save reloads the editor.
  const [openName, setOpenName] = useState<string | null>(null);
  useTitle(`${TABS.find((t) => t.id === tab)!.label} settings`, doc?.spec?.name ?? props.pipeline);

  return (
    <section className="page">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href="/">Projects</Link> <span aria-hidden="true">/</span> <Link href={projectHref(props.project)}>{props.project}</Link>{' '}
        <span aria-hidden="true">/</span> <Link href={pipelineHref(props.project, props.pipeline)}>{doc?.spec?.name ?? props.pipeline}</Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">Settings</span>
      </nav>
      <h1>Pipeline settings</h1>
      {/* Sections are pages (links with ?tab=), so each has its own URL and the browser's Back works. */}
      <nav className="tabs" aria-label="Settings sections">
        {TABS.map((t) => (
          <Link key={t.id} href={pipelineHref(props.project, props.pipeline, t.id)} aria-current={tab === t.id ? 'page' : undefined} className={tab === t.id ? 'tab active' : 'tab'}>
            {t.label}
          </Link>
        ))}
      </nav>
      {loaded.error ? <ErrorNote error={loaded.error} /> : null}
      {savedWhileRunning && isActive(live.session) ? (
        <ApplyBanner
          session={live.session}
          onApplied={(diff) => {
            setApplied(diff);
            setSavedWhileRunning(false);
          }}
        />
      ) : null}
      {applied ? <ApplyResult diff={applied} /> : null}
      {!doc && loaded.loading ? <p className="muted placeholder-line">Loading…</p> : null}
      {doc && !doc.spec ? (
        <div className="note note-error" role="alert">
          <strong>This file cannot be edited here until it parses.</strong>
          <DiagnosticsList diagnostics={doc.diagnostics} />
        </div>
      ) : null}
      {doc?.spec && tab === 'env' ? (
        <>
          <p className="muted">Only this pipeline sees these; they win over project variables of the same name.</p>
          <EnvVarsEditor project={props.project} pipeline={props.pipeline} label="Pipeline variables" onChange={() => void loaded.reload()} />
        </>
      ) : null}
      {doc?.spec && tab !== 'env' ? (
        <Editor
          key={doc.content}
          doc={doc}
          spec={doc.spec}
          tab={tab}
          inheritable={loaded.data?.inheritable ?? []}
          environments={environments.data ?? null}
          file={file}
          onEdited={() => setApplied(null)}
          onSaved={() => {
            setSavedWhileRunning(isActive(live.session));
            void loaded.reload();
          }}
          onReload={() => void loaded.reload()}
          openName={openName}
          onOpenName={setOpenName}
        />
      ) : null}
    </section>
  );
}

function Editor(props: {
  doc: PipelineDocument;
  spec: PipelineSpec;
  tab: Tab;
  inheritable: string[];
  environments: Awaited<ReturnType<typeof fetchEnvironments>>;
  file: { project: string; pipeline: string };
  onEdited: () => void;
  onSaved: () => void;
  onReload: () => void;
  openName: string | null;
  onOpenName: (name: string | null) => void;
}) {
  const { doc } = props;
  const initial = useMemo(
    () => Object.values(props.spec.services ?? {}).sort((a, b) => a.order - b.order).map((s, i) => draftFromService(s, i)),
    [props.spec],
  );
  const [drafts, setDrafts] = useState<ServiceDraft[]>(initial);
  const [open, setOpen] = useState<string | null>(() => initial.find((d) => d.name === props.openName)?.id ?? null);
  const initialParameters = useMemo(() => JSON.stringify(props.spec.parameters ?? {}, null, 2), [props.spec]);
  const [parametersText, setParametersText] = useState(initialParameters);
  // What the server said when it loaded the file; live results replace it once the user edits.
  const [serverDiagnostics] = useState<Diagnostic[]>(doc.diagnostics);
  const [dirty, setDirty] = useState(false);
  const [picking, setPicking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);

  const parameters = useMemo(() => parseParameters(parametersText), [parametersText]);
  const spec = useMemo(() => specFromDrafts(props.spec, drafts, parameters.value), [props.spec, drafts, parameters.value]);
  const names = drafts.map((d) => d.name);
  const duplicates = new Set(names.filter((n, i) => names.indexOf(n) !== i));

  // Validate as the user types, with the server's own validator (bundled): instant, same messages.
  const diagnostics = useMemo(() => (dirty ? validateDraft(spec, doc.path, doc.runtime) : serverDiagnostics), [dirty, spec, doc.path, doc.runtime, serverDiagnostics]);

  const errorCount = diagnostics.filter((d) => d.severity === 'error').length + duplicates.size + (parameters.error ? 1 : 0);
  const pageErrors = otherErrors(diagnostics, names);

  useEffect(
    function askBeforeLosingEdits() {
      if (!dirty) return;
      const settingsPath = location.pathname;
      // Services and Parameters share this editor: moving between them keeps the edits.
      return guardLeaving((to) => {
        const target = to === null ? null : new URL(to, location.origin);
        const tab = target?.searchParams.get('tab') ?? 'services';
        if (target?.pathname === settingsPath && (tab === 'services' || tab === 'parameters')) return null;
        return 'Leave without saving? Your changes to the pipeline file are not saved yet.';
      });
    },
    [dirty],
  );

  function change(updater: (list: ServiceDraft[]) => ServiceDraft[]) {
    setDrafts(updater);
    setDirty(true);
    props.onEdited();
  }

  function addFromTemplate(template: TemplateInfo) {
    setPicking(false);
    const order = Math.max(-1, ...drafts.map((d) => d.order)) + 1;
    const draft = draftFromService({ ...template.service, name: uniqueName(String(template.service.name ?? template.id), names) }, order);
    draft.order = order;
    change((list) => [...list, draft]);
    setOpen(draft.id);
    props.onOpenName(draft.name);
  }

  async function save() {
    if (errorCount > 0 || saving) return;
    setSaving(true);
    setSaveError(null);
    try {
      const toSave = specToSave({ content: doc.content, migrated: doc.migrated, edited: spec, initial, drafts, parametersChanged: parametersText !== initialParameters });
      await call('savePipeline', props.file, { spec: toSave, expectedContent: doc.content });
      setDirty(false);
      props.onSaved();
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  }

  const conflict = saveError instanceof ApiFailure && saveError.status === 409;
  return (
    <>
      <div className="save-bar" role="region" aria-label="Save">
        <span className="small-text" aria-live="polite">
          {errorCount > 0 ? (
            <span className="text-bad">
              {errorCount} problem{errorCount === 1 ? '' : 's'} to fix before saving
            </span>
          ) : dirty ? (
            'Unsaved changes'
          ) : (
            <span className="muted">Saved to {doc.path}</span>
          )}
        </span>
        <button type="button" className="primary" onClick={() => void save()} disabled={!dirty || saving || errorCount > 0} aria-disabled={errorCount > 0}>
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      {saveError ? (
        <div>
          <ErrorNote error={saveError} title={conflict ? 'Not saved: the file changed on disk' : 'Not saved'} />
          {conflict ? (
            <button type="button" onClick={props.onReload}>
              Reload the file (discards the edits here)
            </button>
          ) : null}
        </div>
      ) : null}
      {doc.migrated ? (
        <div className="note note-info">
          This file uses pipeline version {doc.sourceVersion}; saving writes the current version ({props.spec.version}).
        </div>
      ) : null}
      {pageErrors.length ? (
        <div className="note note-error" role="alert">
          <DiagnosticsList diagnostics={pageErrors} />
        </div>
      ) : null}

      {props.tab === 'services' ? (
        <section aria-label="Services">
          <div className="row-between">
            <p className="muted">
              Services start with the pipeline's session; each one's state, logs and URLs are on the{' '}
              <Link href={pipelineHref(doc.project.name, doc.path)}>pipeline page</Link>.
            </p>
            <button type="button" className="primary" onClick={() => setPicking(true)}>
              Add service
            </button>
          </div>
          {drafts.length === 0 ? (
            <div className="empty-state">
              <h2>No services yet</h2>
              <p>Add Redis, Postgres, Jupyter, Streamlit, VS Code, TensorBoard or any program from a template.</p>
            </div>
          ) : null}
          <ul className="service-editors" aria-label="Service definitions">
            {drafts.map((draft) => {
              const errors = errorsForService(diagnostics, draft.name);
              const bad = errors.size > 0 || duplicates.has(draft.name);
              const expanded = open === draft.id || bad;
              return (
                <li key={draft.id} className={`card service-editor ${bad ? 'card-bad' : ''}`} data-service-id={draft.id} data-service-name={draft.name}>
                  <button
                    type="button"
                    className="service-editor-head"
                    aria-expanded={expanded}
                    aria-controls={`${draft.id}-body`}
                    onClick={() => {
                      setOpen(open === draft.id ? null : draft.id);
                      props.onOpenName(open === draft.id ? null : draft.name);
                    }}
                  >
                    <strong>{draft.name || '(unnamed)'}</strong>
                    <span className="muted mono small-text">{draft.image || 'no image'}</span>
                    <span className="muted small-text">{draft.ports.length ? `ports ${draft.ports.join(', ')}` : 'no ports'}</span>
                    {bad ? <span className="text-bad small-text">needs fixing</span> : null}
                    <span className="chevron" aria-hidden="true">
                      {expanded ? '▾' : '▸'}
                    </span>
                  </button>
                  {expanded ? (
                    <div id={`${draft.id}-body`}>
                      <ServiceForm
                        draft={draft}
                        errors={errors}
                        duplicateName={duplicates.has(draft.name)}
                        otherNames={names.filter((n) => n && n !== draft.name)}
                        inheritable={props.inheritable}
                        environments={props.environments}
                        sessionUuid={doc.sessionUuid}
                        onChange={(next) => {
                          change((list) => list.map((d) => (d.id === draft.id ? next : d)));
                          if (open === draft.id) props.onOpenName(next.name);
                        }}
                        onRemove={() => change((list) => list.filter((d) => d.id !== draft.id))}
                      />
                    </div>
                  ) : null}
                </li>
              );
            })}
          </ul>
          <TemplatePicker open={picking} onPick={addFromTemplate} onClose={() => setPicking(false)} />
        </section>
      ) : null}

      {props.tab === 'parameters' ? (
        <section aria-label="Parameters" className="card">
          <div className={`field ${parameters.error ? 'has-error' : ''}`}>
            <label htmlFor="parameters">Pipeline parameters (JSON object)</label>
            <textarea
              id="parameters"
              className="mono"
              rows={14}
              value={parametersText}
              aria-invalid={parameters.error ? true : undefined}
              aria-describedby="parameters-msg"
              onChange={(e) => {
                setParametersText(e.target.value);
                setDirty(true);
                props.onEdited();
              }}
            />
            {parameters.error ? (
              <p className="field-error" id="parameters-msg" role="alert">
                {parameters.error}
              </p>
            ) : (
              <p className="help" id="parameters-msg">
                Steps read them with the SDK; job runs can override them.
              </p>
            )}
          </div>
        </section>
      ) : null}
    </>
  );
}

function parseParameters(text: string): { value?: Record<string, unknown>; error?: string } {
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'Parameters must be a JSON object, e.g. {"epochs": 10}.' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Not valid JSON: ${(error as Error).message}` };
  }
}
