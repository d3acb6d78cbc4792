import type { ReactNode } from 'react';

/**
 * A labelled control with its help text, replaced by the schema's messages when there are any.
 * The message line keeps its height so typing never makes the form jump.
 */
export function Field(props: { id: string; label: string; help?: ReactNode; errors?: string[]; children: ReactNode; className?: string }) {
  const errors = props.errors ?? [];
  return (
    <div className={`field ${props.className ?? ''} ${errors.length ? 'has-error' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {errors.length ? (
        <p className="field-error" id={`${props.id}-msg`} role="alert">
          {errors.join(' ')}
        </p>
      ) : (
        <p className="help" id={`${props.id}-msg`}>
          {props.help ?? ' '}
        </p>
      )}
    </div>
  );
}

/** Props for the control inside a Field: the message is its description, errors mark it invalid. */
export function described(id: string, errors?: string[]) {
  return { id, 'aria-describedby': `${id}-msg`, 'aria-invalid': errors?.length ? true : undefined };
}
