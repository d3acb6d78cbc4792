/**
 * Login and authorization for Berth's one port: the API (`/api/*`), the sign-in page and the
 * service proxy. Faithful to Orchest (one login cookie on the same origin protects the UI and the
 * services; `requires_authentication: false` makes a service public) and stricter where Orchest was
 * thin: hashed tokens, CSRF checks, session-scoped tokens, backoff on failed sign-ins.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Db } from '../../store/index.ts';
import { cliTokenPath, readCliTokenFile, writeCliTokenFile } from './cli-token.ts';
import { createCore, type AuthCore } from './core.ts';
import { AuthError } from './errors.ts';
import { guardApiRequest } from './guard.ts';
import { createLoginLinkToken } from './login-link.ts';
import { registerLoginRoutes } from './login-routes.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { checkSessionAccess, scopedSession, sessionScope, type Principal } from './principal.ts';
import { looksLikeToken } from './secrets.ts';
import { AuthStore } from './store.ts';
import { shapeProblems } from '../request-shape.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; null when nobody signed in (only public routes then get this far). */
    principal: Principal | null;
  }
}

export interface AuthOptions {
  db: Db;
  dataDir: string;
  /** Default true. false (the server maps BERTH_AUTH=off to it) lets every request through. */
  enabled?: boolean;
  /** Clock in epoch ms, for tests of expiry and backoff. */
  now?: () => number;
  /** Where a sign-in may lead besides Berth's origin, as CSP sources (the service origins, `*.localhost:*`). */
  loginFormActions?: string;
}

export interface BootstrapResult {
  /** Only at the very first start: an admin token for `/login?token=…`, valid 24 hours. Print it once. */
  loginToken?: string;
  /** Something the operator must see (auth is off, a token file had to be replaced): print it in yellow. */
  warning?: string;
}

export interface ProxyRouteAuth {
  requiresAuthentication: boolean;
  /** When given, a session-scoped token may reach the routes of its own session. */
  sessionUuid?: string;
}

export interface Auth {
  readonly enabled: boolean;
  bootstrap(): BootstrapResult;
  authenticate(req: IncomingMessage): Principal | null;
  register(app: FastifyInstance): void;
  authorizeProxy(req: IncomingMessage, route: ProxyRouteAuth): 'allow' | 'unauthenticated';
  issueSessionToken(sessionUuid: string): string;
  revokeSessionTokens(sessionUuid: string): number;
  assertSessionAccess(principal: Principal | null, sessionUuid: string): void;
  /** The live web session the request's cookie names (for the service-origin hand-shake), if any. */
  webSessionOf(req: IncomingMessage): { idHash: string; expiresAt: number } | undefined;
}

export const AUTH_OFF_WARNING =
  'authentication is OFF (BERTH_AUTH=off): anyone who can reach this port controls Berth and every service it runs. ' +
  'Use it only for throwaway local experiments on 127.0.0.1, never on a shared machine or a reachable address.';

export function createAuth(options: AuthOptions): Auth {
  const enabled = options.enabled ?? true;
  const now = options.now ?? Date.now;
  const store = new AuthStore(options.db, now);
  const core = createCore(store, enabled, now, options.loginFormActions);

  return {
    enabled,
    bootstrap: () => bootstrap(core, options.dataDir),
    authenticate: (req) => core.resolve(req)?.principal ?? null,
    register: (app) => registerAuth(app, core),
    authorizeProxy(req, route) {
      if (!enabled || !route.requiresAuthentication) return 'allow';
      const principal = core.resolve(req)?.principal;
      if (!principal) return 'unauthenticated';
      const own = scopedSession(principal);
      return own === null || own === route.sessionUuid ? 'allow' : 'unauthenticated';
    },
    issueSessionToken(sessionUuid) {
      if (!/^[A-Za-z0-9-]{1,100}$/.test(sessionUuid)) {
        throw new AuthError('BERTH_AUTH_SESSION_UUID_INVALID', { sessionUuid });
      }
      return store.createToken({ name: `session ${sessionUuid}`, kind: 'session', scope: sessionScope(sessionUuid) }).token;
    },
    revokeSessionTokens: (sessionUuid) => store.deleteTokensWithScope(sessionScope(sessionUuid)),
    assertSessionAccess: (principal, sessionUuid) => checkSessionAccess(principal, sessionUuid, enabled),
    webSessionOf(req) {
      const id = core.resolve(req)?.webSession?.id;
      const row = id === undefined ? undefined : store.findLiveWebSession(id);
      return row ? { idHash: row.idHash, expiresAt: row.expiresAt } : undefined;
    },
  };
}

function bootstrap(core: AuthCore, dataDir: string): BootstrapResult {
  const { store } = core;
  store.pruneExpired();
  const result: BootstrapResult = {};
  if (core.enabled && store.meta('bootstrapped_at') === undefined) {
    result.loginToken = createLoginLinkToken(store, core.now(), 'first-start login link').token;
    store.setMeta('bootstrapped_at', new Date(core.now()).toISOString());
  }
  // Written with auth off too, so the CLI keeps working unchanged when auth is turned back on.
  const replaced = ensureCliToken(core, dataDir);
  const warnings = [...(core.enabled ? [] : [AUTH_OFF_WARNING]), ...(replaced ? [replaced] : [])];
  if (warnings.length > 0) result.warning = warnings.join('\n');
  return result;
}

/** Makes sure `<dataDir>/cli-token` holds the live CLI token; returns a warning when it had leaked. */
function ensureCliToken(core: AuthCore, dataDir: string): string | undefined {
  const { store } = core;
  const file = readCliTokenFile(dataDir);
  const current = file.state === 'ok' && looksLikeToken(file.token) ? store.findLiveToken(file.token) : undefined;
  if (current?.kind === 'cli') return undefined;
  // One CLI token at a time: the old one is revoked whether it leaked, went missing or is stale.
  store.deleteTokensOfKind('cli');
  const { token } = store.createToken({ name: 'local CLI', kind: 'cli', scope: 'admin' });
  writeCliTokenFile(dataDir, token);
  if (file.state !== 'exposed') return undefined;
  return (
    `the CLI token file ${cliTokenPath(dataDir)} was readable by other users (mode ${file.mode.toString(8)}): ` +
    'Berth revoked that token and wrote a new one with mode 600'
  );
}

function registerAuth(app: FastifyInstance, core: AuthCore): void {
  app.decorateRequest('principal', null);
  // On the root instance, so it guards every route of the app, whoever registers it and when.
  app.addHook('onRequest', async function berthAuthGuard(request, reply) {
    const resolved = core.resolve(request.raw);
    request.principal = resolved?.principal ?? null;
    const refusal = guardApiRequest({
      method: request.method,
      url: request.url,
      routeUrl: request.routeOptions.url,
      headers: request.headers,
      principal: request.principal,
      csrfSecret: resolved?.webSession?.csrfSecret,
    });
    if (refusal) {
      if (refusal.status === 401) reply.header('www-authenticate', 'Bearer realm="berth"');
      return reply.code(refusal.status).send({ error: refusal.toJSON() });
    }
  });
  // The routes sit in their own context: the form parser and the error replies stay theirs.
  void app.register(async function berthAuthRoutes(scope) {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, function parseForm(_request, body, done) {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.setErrorHandler(function authErrorReply(error: FastifyError, _request, reply) {
      if (error instanceof AuthError) return reply.code(error.status).send({ error: error.toJSON() });
      if (typeof error.statusCode === 'number' && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ error: new AuthError('BERTH_AUTH_BAD_REQUEST', { framework: error.message }).toJSON() });
      }
      throw error;
    });
    // A body or query of the wrong shape answers in this layer's code, naming the field as the API does.
    scope.setSchemaErrorFormatter(function authShapeError(errors, part) {
      const problems = shapeProblems(errors, part);
      return new AuthError('BERTH_AUTH_BAD_REQUEST', { problems }, { details: problems });
    });
    registerLoginRoutes(scope, core);
    registerAdminRoutes(scope, core);
  });
}
