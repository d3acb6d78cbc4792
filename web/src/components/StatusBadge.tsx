/** Status colours match the CLI: ready green, starting amber, failed red; the rest are grey. */
const TONES: Record<string, string> = {
  ready: 'ok',
  running: 'ok',
  starting: 'busy',
  pending: 'busy',
  stopping: 'busy',
  failed: 'bad',
  degraded: 'busy',
  exited: 'bad',
  stopped: 'idle',
  'not running': 'idle',
};

export function StatusBadge(props: { status: string; label?: string }) {
  return (
    <span className={`badge badge-${TONES[props.status] ?? 'idle'}`} data-status={props.status}>
      <span className="dot" aria-hidden="true" />
      {props.label ?? props.status}
    </span>
  );
}
