/**
 * A shell script editor: a plain monospace textarea (so the browser's own editing, undo and
 * accessibility keep working) with a line-number gutter kept in step with its scrolling. Tab is
 * left to move focus, so the editor never traps keyboard users.
 */
import { useRef, type UIEvent } from 'react';

export function ScriptEditor(props: { id: string; value: string; onChange: (value: string) => void; describedBy?: string; rows?: number }) {
  const gutter = useRef<HTMLPreElement>(null);
  const count = props.value.split('\n').length;
  const numbers = Array.from({ length: count }, (_, i) => i + 1).join('\n');

  function followScroll(event: UIEvent<HTMLTextAreaElement>) {
    if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
  }

  return (
    <div className="script-editor">
      <pre className="script-gutter" ref={gutter} aria-hidden="true">
        {numbers}
      </pre>
      <textarea
        id={props.id}
        className="script-text"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onScroll={followScroll}
        rows={props.rows ?? 16}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        aria-describedby={props.describedBy}
      />
    </div>
  );
}
