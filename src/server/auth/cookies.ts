/**
 * The session cookie. HttpOnly (page scripts cannot read it), SameSite=Lax (not sent on cross-site
 * POSTs or sub-requests), Path=/ (service URLs on the same origin see it, as Orchest's did), Secure
 * when the browser reached Berth over https.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const SESSION_COOKIE = 'berth_session';

/** Every value sent under `name`: a cookie set by a sibling path or subdomain may sit beside ours. */
export function cookieValues(req: IncomingMessage, name: string): string[] {
  const header = req.headers.cookie;
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    values.push(part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return values;
}

/** True when the browser talked https to us or to the reverse proxy in front of us. */
export function cameOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export function sessionCookie(req: IncomingMessage, id: string, maxAgeSeconds: number): string {
  return [`${SESSION_COOKIE}=${id}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(cameOverHttps(req) ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(req: IncomingMessage): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(cameOverHttps(req) ? ['Secure'] : [])].join('; ');
}

/**
 * The Cookie header without Berth's session cookie, for the proxy to forward to services: a
 * service (which may be any image) has no business holding the user's Berth session.
 * Returns undefined when nothing is left.
 */
export function stripSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part.slice(0, Math.max(part.indexOf('='), 0)).trim() !== SESSION_COOKIE);
  return kept.length === 0 ? undefined : kept.join('; ');
}
