/**
 * Services on their own origin, the server's half (docs/security.md: Services on their own origin):
 * the login hand-shake that carries a signed-in browser from Berth's origin to a service host, and
 * the check of the host-only cookie it leaves there. The proxy (src/proxy) does the routing.
 *
 *   1. A browser on Berth's origin opens a path URL (`/service-web-<sid>_8080/x`). Signed in, it gets
 *      a one-time code (60 s, bound to the service host and its web session, stored hashed) and is
 *      sent to `http://8080-web.<sid>.<domain>:<port>/__berth/handshake?code=…&next=/x`.
 *   2. The service host redeems the code, sets its own cookie (`berth_service`: HttpOnly,
 *      SameSite=Lax, Secure over https, host-only) and redirects to `next` on the same host.
 *   3. Without a valid cookie a service host sends the browser back to step 1 (which signs it in
 *      first if needed). Signing out deletes the web session, and with it every code and grant.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Db } from '../../store/index.ts';
import { HANDSHAKE_PATH, hostPortSuffix, ProxyError, PROXY_CODES, serviceHostKey, type Page, type ProxyRoute, type ServiceOrigins } from '../../proxy/index.ts';
import type { Auth } from '../auth/index.ts';
import { safeNextPath } from '../auth/index.ts';
import { cameOverHttps, cookieValues } from '../auth/cookies.ts';
import { looksLikeToken } from '../auth/secrets.ts';
import { ServiceOriginStore } from './store.ts';

export { serviceOriginMigrations } from './store.ts';
export { resolveServiceDomain, type ServiceDomainChoice } from './domain.ts';

/** The service hosts' own cookie: Berth's `berth_` prefix, so the proxy never relays it to a service nor lets one set it. */
export const SERVICE_COOKIE = 'berth_service';
export const CODE_LIFETIME_MS = 60_000;
/** A grant ends with its web session or after this long, whichever comes first; the browser then passes the hand-shake again. */
export const GRANT_LIFETIME_MS = 12 * 60 * 60 * 1000;

export interface ServiceOriginOptions {
  db: Db;
  auth: Auth;
  /** The service domain, normalised (see normaliseServiceDomain). */
  domain: string;
  /** Berth's own host name (no port): where service hosts send browsers back to. */
  berthHost: string;
  /** Only a trusted reverse proxy may say the browser used https. */
  trustProxy: boolean;
  now?: () => number;
}

export function createServiceOrigins(options: ServiceOriginOptions): ServiceOrigins {
  const { auth, domain } = options;
  const now = options.now ?? Date.now;
  const store = new ServiceOriginStore(options.db, now);

  function https(req: IncomingMessage): boolean {
    return options.trustProxy ? cameOverHttps(req) : Boolean((req.socket as TLSSocket).encrypted);
  }
  function originOf(req: IncomingMessage, host: string): string {
    return `${https(req) ? 'https' : 'http'}://${host}${hostPortSuffix(req.headers.host)}`;
  }
  function needsHandshake(route: ProxyRoute): boolean {
    return auth.enabled && route.requiresAuthentication;
  }

  return {
    domain,
    authorize(req, route) {
      if (!needsHandshake(route)) return true;
      // An API client on a service host (Bearer) is checked like on the path; the berth_session cookie counts for nothing here.
      if (req.headers.authorization !== undefined) return auth.authorizeProxy(req, route) === 'allow';
      const host = serviceHostKey(route);
      return cookieValues(req, SERVICE_COOKIE).some((value) => looksLikeToken(value) && store.grantValid(value, host));
    },

    entry(req, route, path) {
      const origin = originOf(req, `${serviceHostKey(route)}.${domain}`);
      const session = needsHandshake(route) ? auth.webSessionOf(req) : undefined;
      if (!session) return origin + path;
      const code = store.createCode(serviceHostKey(route), session.idHash, CODE_LIFETIME_MS);
      return `${origin}${HANDSHAKE_PATH}?code=${code}&next=${encodeURIComponent(path)}`;
    },

    redeem(req, route, query) {
      const next = safeNextPath(query.get('next') ?? undefined);
      if (!needsHandshake(route)) return { location: next };
      const code = query.get('code') ?? '';
      const redeemed = looksLikeToken(code) ? store.redeemCode(code, serviceHostKey(route)) : undefined;
      if (!redeemed) return { page: handshakeFailedPage(route, `${originOf(req, options.berthHost)}${route.basePath}/`) };
      const expiresAt = Math.min(redeemed.sessionExpiresAt, now() + GRANT_LIFETIME_MS);
      const grant = store.createGrant(serviceHostKey(route), redeemed.webSessionHash, expiresAt);
      const maxAge = Math.max(1, Math.floor((expiresAt - now()) / 1000));
      const cookie = [`${SERVICE_COOKIE}=${grant}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAge}`, ...(https(req) ? ['Secure'] : [])].join('; ');
      return { location: next, cookie };
    },

    berthOrigin: (req) => originOf(req, options.berthHost),
  };
}

function handshakeFailedPage(route: ProxyRoute, retry: string): Page {
  const href = retry.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    error: new ProxyError(PROXY_CODES.handshakeInvalid, { service: route.service, port: route.port }),
    title: 'Sign-in hand-shake failed',
    html: `<p><a href="${href}">Open the service again</a></p>`,
  };
}
