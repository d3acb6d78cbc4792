/**
 * Service origins (docs/security.md: Services on their own origin): every exposed service port is
 * served on its own host name, `<port>-<name>.<session_uuid>.<service domain>`, so a page a service
 * serves never shares an origin (cookies, storage, same-origin fetches) with Berth's API and UI.
 * This module only names and recognises those hosts; the proxy and the server decide what to do.
 */
import type { ProxyRoute } from './route-table.ts';

/** What a request's Host header names, relative to the service domain. */
export type HostKind =
  /** Not under the service domain: Berth's own origin (API, UI, path URLs). */
  | { kind: 'berth' }
  /** Under the service domain: the two labels that name one service port (`7111-pub.s1`). */
  | { kind: 'service'; key: string }
  /** Under the service domain but not shaped like a service host: answered 404, never by Berth's API. */
  | { kind: 'unknown' };

/** One DNS label as Berth builds them: lower case letters, digits and inner dashes, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A host name as Berth accepts one in front of the port: letters, digits, dots and dashes. */
const HOST_NAME = /^[a-z0-9.-]+$/;

/** `<port>-<name>.<session_uuid>`: the part of a service host in front of the service domain. */
export function serviceHostKey(route: Pick<ProxyRoute, 'port' | 'service' | 'sessionUuid'>): string {
  return `${route.port}-${route.service}.${route.sessionUuid}`.toLowerCase();
}

/**
 * The service domain as Berth compares it: lower case, no trailing dot. Undefined for anything that
 * is not a dotted sequence of DNS labels (`localhost`, `apps.example.com`).
 */
export function normaliseServiceDomain(domain: string): string | undefined {
  const lower = domain.trim().toLowerCase().replace(/\.$/, '');
  if (lower === '' || lower.length > 200) return undefined;
  return lower.split('.').every((label) => LABEL.test(label)) ? lower : undefined;
}

/**
 * Reads a Host header strictly: case-insensitive, one trailing dot ignored, a numeric port allowed.
 * Anything under `domain` is the service namespace; anything else is Berth's own origin.
 */
export function classifyHost(host: string | undefined, domain: string): HostKind {
  if (host === undefined) return { kind: 'berth' };
  const lower = host.toLowerCase();
  const port = /:\d{1,5}$/.exec(lower);
  const name = port ? lower.slice(0, port.index) : lower;
  const suffix = `.${domain}`;
  // A malformed Host that still mentions the service domain must never reach the API or UI.
  if (!HOST_NAME.test(name)) return lower.includes(suffix) ? { kind: 'unknown' } : { kind: 'berth' };
  const bare = name.replace(/\.+$/, '');
  const trailingDots = name.length - bare.length;
  if (!bare.endsWith(suffix)) return { kind: 'berth' };
  const labels = bare.slice(0, -suffix.length).split('.');
  if (trailingDots > 1 || labels.length !== 2 || !labels.every((label) => LABEL.test(label))) return { kind: 'unknown' };
  return { kind: 'service', key: `${labels[0]}.${labels[1]}` };
}

/** The port a Host header names, as the `:port` suffix to reuse in URLs ('' when it names none). */
export function hostPortSuffix(host: string | undefined): string {
  const match = /:(\d{1,5})$/.exec(host ?? '');
  return match ? `:${match[1]}` : '';
}

/** The path on a service host where the login hand-shake is redeemed (it shadows the service's own). */
export const HANDSHAKE_PATH = '/__berth/handshake';
