import type { Diagnostic } from '../../../src/spec/browser.ts';

export function DiagnosticsList(props: { diagnostics: Diagnostic[] }) {
  if (props.diagnostics.length === 0) return null;
  return (
    <ul className="diag-list">
      {props.diagnostics.map((d, i) => (
        <li key={i} className={d.severity === 'error' ? 'diag-error' : 'diag-warning'}>
          <code>{d.path || '(file)'}</code> {d.message}
          {d.hint ? <span className="hint"> {d.hint}</span> : null}
        </li>
      ))}
    </ul>
  );
}
