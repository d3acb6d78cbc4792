/**
 * One service's log, followed live through a streaming fetch of `?follow=1`. Berth appends to
 * the log file across restarts, so the lines from before a restart stay; when the stream drops
 * (network, server restart) it reconnects and the file's full text replaces the buffer.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { isStartMarker } from '../../../src/runtime/browser.ts';
import { apiPath, openStream } from '../api.ts';

const MAX_LINES = 5000;

type FollowState = 'connecting' | 'following' | 'ended' | 'error';

export function LogViewer(props: { sessionUuid: string; service: string; active: boolean }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<FollowState>('connecting');
  const [problem, setProblem] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const { sessionUuid, service, active } = props;

  useEffect(
    function followLog() {
      if (!active) {
        setState('ended');
        return;
      }
      const controller = new AbortController();
      let retry: number | undefined;
      async function connect(replace: boolean) {
        setState('connecting');
        let partial = '';
        let first = replace;
        try {
          const reader = await openStream(apiPath('serviceLogs', { sid: sessionUuid, name: service, follow: true, tail: MAX_LINES }), controller.signal);
          setState('following');
          setProblem(null);
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const text = partial + decoder.decode(value, { stream: true });
            const parts = text.split('\n');
            partial = parts.pop() ?? '';
            const replaceNow = first;
            first = false;
            setLines((old) => (replaceNow ? parts : [...old, ...parts]).slice(-MAX_LINES));
          }
          if (partial) setLines((old) => [...old, partial].slice(-MAX_LINES));
          setState('ended');
        } catch (error) {
          if (controller.signal.aborted) return;
          setState('error');
          setProblem((error as Error).message);
        }
        // The stream ends when the session stops; anything else is a dropped connection: reconnect.
        if (!controller.signal.aborted) retry = window.setTimeout(() => void connect(true), 2_000);
      }
      void connect(true);
      return () => {
        controller.abort();
        window.clearTimeout(retry);
      };
    },
    [sessionUuid, service, active],
  );

  useLayoutEffect(
    function keepScrolledToEnd() {
      const el = box.current;
      if (el && stick.current) el.scrollTop = el.scrollHeight;
    },
    [lines],
  );

  return (
    <div className="logs">
      <div className="logs-bar">
        <span className="small-text">
          Logs of <strong>{service}</strong>
        </span>
        <span className={`small-text follow-${state}`} aria-live="polite">
          {state === 'following' ? '● following' : state === 'connecting' ? 'connecting…' : state === 'ended' ? 'not following (session not running)' : `reconnecting: ${problem}`}
        </span>
      </div>
      <pre
        ref={box}
        className="log-box"
        role="log"
        aria-label={`Logs of ${service}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.length === 0 ? <span className="muted">{state === 'following' ? 'No output yet.' : ' '}</span> : null}
        {lines.map((line, i) => (
          <span key={i} className={isStartMarker(line) ? 'log-line log-marker' : 'log-line'}>
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
    </div>
  );
}
