/**
 * Readiness resolved to concrete values (Berth extension; Orchest had none, orchest-compatibility.md: Session start and uuids).
 * One deadline per service.
 */
import type { ReadinessSpec } from '../spec/index.ts';
import type { ReadinessPlan } from './types.ts';

export const DEFAULT_READINESS_TIMEOUT_SECONDS = 60;
export const READINESS_INTERVAL_MS = 100;
export const DEFAULT_HTTP_PATH = '/';

/**
 * Default accepted HTTP statuses: 200-399, listed one by one rather than stored as a range so the
 * plan keeps one shape (`status: number[]`) whether or not the user listed statuses, and checks
 * stay a plain `includes`. Redirects count as ready: apps behind a base path often answer `/`
 * with a redirect to their UI.
 */
export const DEFAULT_HTTP_STATUS: readonly number[] = Array.from({ length: 200 }, (_, i) => 200 + i);

/**
 * `defaultPath(port)` gives the HTTP path to probe when the spec names none: `/` for services that
 * see stripped paths, their base path for preserve_base_path services (which serve under it).
 */
export function resolveReadiness(spec: ReadinessSpec | undefined, ports: number[], defaultPath: (port: number) => string = () => DEFAULT_HTTP_PATH): ReadinessPlan {
  const timeoutMs = Math.round((spec?.timeout_seconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS) * 1000);
  const intervalMs = READINESS_INTERVAL_MS;
  if (spec === undefined) return { type: 'port', ports: [...ports], timeoutMs, intervalMs };
  switch (spec.type) {
    case 'port':
      return { type: 'port', ports: [...(spec.ports?.length ? spec.ports : ports)], timeoutMs, intervalMs };
    case 'http': {
      // ports is non-empty for a valid spec; 0 only comes from an invalid one and fails the check.
      const port = spec.port ?? ports[0] ?? 0;
      return {
        type: 'http',
        port,
        path: spec.path ?? defaultPath(port),
        status: [...(spec.status?.length ? spec.status : DEFAULT_HTTP_STATUS)],
        timeoutMs,
        intervalMs,
      };
    }
    case 'log':
      return { type: 'log', pattern: spec.pattern, timeoutMs, intervalMs };
    case 'command':
      return { type: 'command', command: [...spec.command], timeoutMs, intervalMs };
    case 'none':
      return { type: 'none', timeoutMs, intervalMs };
  }
}
