/**
 * "Add service": the templates the server ships (GET /api/templates), in a modal dialog that
 * keeps focus inside and closes on Escape (the native <dialog> does both).
 */
import { useEffect, useRef } from 'react';
import { call, type TemplateInfo } from '../api.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './ErrorNote.tsx';

export function TemplatePicker(props: { open: boolean; onPick: (template: TemplateInfo) => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const templates = useAsync(() => call('listTemplates'), 'templates');

  useEffect(
    function syncDialog() {
      const el = dialog.current;
      if (!el) return;
      if (props.open && !el.open) el.showModal();
      if (!props.open && el.open) el.close();
    },
    [props.open],
  );

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="template-title" onClose={props.onClose}>
      <div className="row-between">
        <h2 id="template-title">Add a service</h2>
        <button type="button" className="small" onClick={props.onClose}>
          Close
        </button>
      </div>
      <p className="muted">Start from a template; every field can be changed afterwards.</p>
      {templates.error ? <ErrorNote error={templates.error} /> : null}
      {!templates.data && templates.loading ? <p className="muted placeholder-line">Loading templates…</p> : null}
      <ul className="template-grid">
        {(templates.data?.templates ?? []).map((template) => (
          <li key={template.id}>
            <button
              type="button"
              className={`template ${template.unavailable ? 'template-unavailable' : ''}`}
              onClick={() => props.onPick(template)}
              aria-describedby={template.unavailable ? `template-${template.id}-warning` : undefined}
            >
              <strong>{template.label}</strong>
              <span className="muted small-text">{template.description ?? template.service.image ?? ''}</span>
              {template.unavailable ? (
                <span className="template-warning small-text" id={`template-${template.id}-warning`}>
                  Will not start on this machine: {template.unavailable.message}; {template.unavailable.hint}.
                </span>
              ) : null}
            </button>
          </li>
        ))}
      </ul>
    </dialog>
  );
}
