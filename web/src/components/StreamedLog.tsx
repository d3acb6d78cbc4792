/**
 * A log read through a streaming fetch (`?follow=1`): the server sends what there is and keeps
 * the response open while the step or service runs, then ends it, so one reader covers both a
 * live and a finished run.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { openStream } from '../api.ts';

export function StreamedLog(props: { url: string; label: string }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  const box = useRef<HTMLPreElement>(null);

  useEffect(
    function followLog() {
      const controller = new AbortController();
      setText('');
      setEnded(false);
      setProblem(null);
      void (async () => {
        try {
          const reader = await openStream(props.url, controller.signal);
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const chunk = decoder.decode(value, { stream: true });
            setText((old) => old + chunk);
          }
          setEnded(true);
        } catch (error) {
          if (!controller.signal.aborted) setProblem((error as Error).message);
        }
      })();
      return () => controller.abort();
    },
    [props.url],
  );

  useLayoutEffect(
    function keepScrolledToEnd() {
      if (box.current) box.current.scrollTop = box.current.scrollHeight;
    },
    [text],
  );

  return (
    <div className="logs">
      {problem ? <div className="field-error">{problem}</div> : null}
      <pre className="log-box" ref={box} role="log" aria-label={props.label} tabIndex={0}>
        {text || (ended ? '(no output)' : ' ')}
      </pre>
    </div>
  );
}
