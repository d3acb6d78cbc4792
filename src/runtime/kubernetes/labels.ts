/**
 * Kubernetes label values are at most 63 characters of `[A-Za-z0-9-_.]`, starting and ending
 * alphanumeric. Berth's labels mostly fit (uuids, service names), but the spec hash is 64 hex
 * characters and user-chosen values may not fit; so objects carry the sanitised labels (for
 * selectors) and the exact labels in one annotation (what `list` returns to the session manager).
 */
import { LABELS } from '../../plan/index.ts';

/** Annotation holding the exact, unsanitised labels as JSON. */
export const LABELS_ANNOTATION = 'berth/labels';
/** Berth's own pods (the server) carry this label; NetworkPolicies let them in. */
export const BERTH_APP_LABEL = 'app.kubernetes.io/name';
export const BERTH_APP_VALUE = 'berth';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

const MAX_LABEL_VALUE = 63;

export function sanitizeLabelValue(value: string): string {
  let clean = value.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, MAX_LABEL_VALUE);
  // Must begin and end with an alphanumeric character (or be empty).
  clean = clean.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return clean;
}

export function sanitizeLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, sanitizeLabelValue(value)]));
}

/** `a=b,c=d` with sanitised values, keys sorted so requests are stable. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${sanitizeLabelValue(labels[key] ?? '')}`)
    .join(',');
}

/** The exact labels of an object: the annotation when present, else its (sanitised) labels. */
export function originalLabels(metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): Record<string, string> {
  const raw = metadata?.annotations?.[LABELS_ANNOTATION];
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, string>;
    } catch {
      // fall back to the labels: an edited annotation must not hide the object
    }
  }
  return { ...(metadata?.labels ?? {}) };
}

/** True when `have` carries every label of `want` exactly (selectors only compare sanitised values). */
export function hasLabels(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([key, value]) => have[key] === value);
}

/** The labels that pick one service's pods: stable across restarts, so usable as an immutable selector. */
export function selectorLabels(installationId: string, sessionUuid: string, service: string): Record<string, string> {
  return sanitizeLabels({ [LABELS.installation]: installationId, [LABELS.session]: sessionUuid, [LABELS.service]: service });
}
