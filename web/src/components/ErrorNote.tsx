import { ApiFailure } from '../api.ts';

/** An API error as the user should read it: the message, the hint, and the code to search for. */
export function ErrorNote(props: { error: unknown; title?: string }) {
  const error = props.error;
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiFailure ? error.hint : undefined;
  const code = error instanceof ApiFailure ? error.code : undefined;
  return (
    <div className="note note-error" role="alert">
      {props.title ? <strong>{props.title}: </strong> : null}
      <span className="pre-line">{message}</span>
      {hint ? <div className="hint">{hint}</div> : null}
      {code ? <div className="code muted">{code}</div> : null}
    </div>
  );
}
