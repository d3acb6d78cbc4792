/**
 * The job's env vars: the project's and pipeline's (copied into the job, values masked: the form
 * never reads them) with an override each, and variables the user adds or removes again.
 */
import { envRowProblem, type EnvRow } from '../lib/job-form.ts';

export function JobEnvRows(props: { rows: EnvRow[]; onChange: (rows: EnvRow[]) => void; showProblems: boolean }) {
  const { rows } = props;
  const update = (row: EnvRow, patch: Partial<EnvRow>) => props.onChange(rows.map((r) => (r === row ? { ...r, ...patch } : r)));
  let added = 0;

  return (
    <fieldset>
      <legend>Environment variables</legend>
      <p className="help">Copied from the project and the pipeline when the job is created; an override or a new variable applies to this job only.</p>
      {rows.length === 0 ? <p className="empty small-text">No variables yet.</p> : null}
      {rows.map((row) => {
        const id = `job-env-${row.key}`;
        const problem = props.showProblems || row.name ? envRowProblem(row, rows) : null;
        const label = row.name || 'new variable';
        return (
          <div className="job-row" key={row.key} data-env-row={row.name}>
            {row.source ? (
              <div className="static">
                <code>{row.name}</code> <span className="muted small-text">from the {row.source}</span>
              </div>
            ) : (
              <div className="field">
                <label className="sr-only" htmlFor={`${id}-name`}>
                  Name of added variable {++added}
                </label>
                <input
                  id={`${id}-name`}
                  className="mono"
                  value={row.name}
                  placeholder="NAME"
                  onChange={(e) => update(row, { name: e.target.value })}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby={`${id}-msg`}
                />
                <p className={problem ? 'field-error' : 'help'} id={`${id}-msg`}>
                  {problem ?? ' '}
                </p>
              </div>
            )}
            {row.value === null ? (
              // Same height as the input that replaces it, so Override does not move the rows below.
              <div className="field">
                <div className="static">
                  <span className="masked" aria-label={`${row.name} keeps its copied value`}>
                    ••••••••
                  </span>
                </div>
                <p className="help"> </p>
              </div>
            ) : (
              <div className="field">
                <label className="sr-only" htmlFor={`${id}-value`}>
                  Value of {label}
                </label>
                <input id={`${id}-value`} type="password" autoComplete="off" value={row.value} onChange={(e) => update(row, { value: e.target.value })} />
                <p className="help"> </p>
              </div>
            )}
            <div className="row-actions">
              {row.source && row.value === null ? (
                <button type="button" className="small" onClick={() => update(row, { value: '' })}>
                  Override<span className="sr-only"> {row.name}</span>
                </button>
              ) : null}
              {row.source && row.value !== null ? (
                <button type="button" className="small" onClick={() => update(row, { value: null })}>
                  Keep copied<span className="sr-only"> {row.name}</span>
                </button>
              ) : null}
              {row.source === null ? (
                <button type="button" className="small danger" onClick={() => props.onChange(rows.filter((r) => r !== row))}>
                  Remove<span className="sr-only"> {label}</span>
                </button>
              ) : null}
            </div>
          </div>
        );
      })}
      <button type="button" className="small" onClick={() => props.onChange([...rows, { key: `added-${crypto.randomUUID()}`, name: '', source: null, value: '' }])}>
        Add variable
      </button>
    </fieldset>
  );
}
