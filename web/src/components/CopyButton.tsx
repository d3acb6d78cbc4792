/** Copies a short text (an address) and says so in place, for sighted and screen-reader users alike. */
import { useEffect, useState } from 'react';

export function CopyButton(props: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(
    function resetLater() {
      if (state === 'idle') return;
      const timer = window.setTimeout(() => setState('idle'), 2_000);
      return () => window.clearTimeout(timer);
    },
    [state],
  );

  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setState('copied');
    } catch {
      // Clipboard access needs a secure context (https or localhost): the address stays selectable.
      setState('failed');
    }
  }

  return (
    <button type="button" className="small" onClick={() => void copy()} aria-label={props.label}>
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}</span>
    </button>
  );
}
