/** The pipeline's and its steps' parameters as JSON text, each checked at its field as it is typed. */
import { paramProblem, type ParamRow } from '../lib/job-form.ts';

export function JobParamRows(props: { rows: ParamRow[]; onChange: (rows: ParamRow[]) => void }) {
  const { rows } = props;
  return (
    <fieldset>
      <legend>Parameters</legend>
      <p className="help">Values as JSON, as the steps read them with <code>orchest.get_pipeline_param</code> and <code>orchest.get_step_param</code>.</p>
      {rows.length === 0 ? <p className="empty small-text">This pipeline declares no parameters.</p> : null}
      {rows.map((row) => {
        const id = `job-param-${row.key.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
        const problem = paramProblem(row);
        const changed = !problem && JSON.stringify(JSON.parse(row.text)) !== row.original;
        return (
          <div className="job-row" key={row.key}>
            <div className="static">
              <code>{row.name}</code> <span className="muted small-text">{row.scope === 'pipeline' ? 'pipeline' : `step ${row.scopeLabel}`}</span>
            </div>
            <div className="field">
              <label className="sr-only" htmlFor={id}>
                {row.scope === 'pipeline' ? `Pipeline parameter ${row.name}` : `Parameter ${row.name} of step ${row.scopeLabel}`}
              </label>
              <input
                id={id}
                className="mono"
                value={row.text}
                onChange={(e) => props.onChange(rows.map((r) => (r === row ? { ...r, text: e.target.value } : r)))}
                aria-invalid={problem ? true : undefined}
                aria-describedby={`${id}-msg`}
              />
              <p className={problem ? 'field-error' : 'help'} id={`${id}-msg`}>
                {problem ?? (changed ? `changed from ${row.original}` : ' ')}
              </p>
            </div>
            <div className="row-actions">
              <button type="button" className="small" disabled={row.text === row.original} onClick={() => props.onChange(rows.map((r) => (r === row ? { ...r, text: r.original } : r)))}>
                Reset<span className="sr-only"> {row.name}</span>
              </button>
            </div>
          </div>
        );
      })}
    </fieldset>
  );
}
