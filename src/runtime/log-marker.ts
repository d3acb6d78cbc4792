/**
 * The line a runtime appends to a service's log file before each start. Log files are kept across
 * restarts, so readiness (`log` strategy) and "last log lines" only look at what follows the last
 * marker. Every runtime writes the same shape so src/sessions/readiness can read any of them.
 */
const MARKER_PREFIX = '--- berth: ';

export function startMarker(service: string, at: Date, pid?: number): string {
  const who = pid === undefined ? '' : ` (pid ${pid})`;
  return `${MARKER_PREFIX}${service} started at ${at.toISOString()}${who} ---`;
}

/** True for a start marker line, of `service` when given, of any service otherwise. */
export function isStartMarker(line: string, service?: string): boolean {
  if (!line.startsWith(MARKER_PREFIX) || !line.endsWith(' ---')) return false;
  const rest = line.slice(MARKER_PREFIX.length);
  if (service === undefined) return / started at /.test(rest);
  return rest.startsWith(`${service} started at `);
}
