/** Admin-only management: API tokens (`berth login` makes one) and users. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenInfo, UserInfo } from '../../api/index.ts';
import type { AuthCore } from './core.ts';
import { AuthError } from './errors.ts';
import { createLoginLinkToken } from './login-link.ts';
import { checkPasswordPolicy, checkUsername, hashPassword } from './passwords.ts';
import type { Principal } from './principal.ts';
import { hashSecret } from './secrets.ts';
import type { TokenRow, UserRow } from './store.ts';
import { strictId } from '../ids.ts';
import * as schemas from './schemas.ts';
import type { CreateTokenBody, CreateUserBody, PasswordBody, TokenIdParams, UsernameParams } from './schemas.ts';

const MAX_TOKEN_DAYS = 3650;

export function registerAdminRoutes(app: FastifyInstance, core: AuthCore): void {
  const { store } = core;

  app.post<{ Body: CreateTokenBody }>('/api/auth/tokens', { schema: schemas.createToken }, async function createToken(request, reply) {
    const principal = requireAdmin(request);
    const body = request.body;
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 100) {
      throw new AuthError('BERTH_AUTH_BAD_REQUEST', { needs: 'token-name' });
    }
    let expiresAt: number | null = null;
    if (body.expiresInDays !== undefined) {
      const days = body.expiresInDays;
      if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_TOKEN_DAYS) {
        throw new AuthError('BERTH_AUTH_BAD_REQUEST', { needs: 'token-days', maxDays: MAX_TOKEN_DAYS });
      }
      expiresAt = core.now() + days * 24 * 60 * 60 * 1000;
    }
    const userId = principal.username ? (store.findUser(principal.username)?.id ?? null) : null;
    const { token, row } = store.createToken({ name: body.name.trim(), kind: 'api', scope: 'admin', userId, expiresAt });
    return reply.code(201).send({ token, ...tokenView(row) });
  });

  // `berth login-link`: a fresh one-day admin link, for the server machine's owner who has no password yet or lost the first one.
  app.post('/api/auth/login-links', { schema: schemas.createLoginLink }, async function createLoginLink(request, reply) {
    const principal = requireAdmin(request);
    const { token, row } = createLoginLinkToken(store, core.now(), `login link for ${principal.name}`);
    return reply.code(201).send({ token, ...tokenView(row) });
  });

  app.get('/api/auth/tokens', { schema: schemas.listTokens }, async function listTokens(request) {
    requireAdmin(request);
    return { tokens: store.listTokens(['api', 'cli', 'login-link']).map(tokenView) };
  });

  app.delete<{ Params: TokenIdParams }>('/api/auth/tokens/:id', { schema: schemas.revokeToken }, async function revokeToken(request) {
    requireAdmin(request);
    const id = strictId(request.params.id);
    if (id === undefined) {
      throw new AuthError('BERTH_AUTH_BAD_ID', { id: (request.params as { id: string }).id });
    }
    const row = store.tokenById(id);
    if (!row || row.kind === 'session') {
      throw new AuthError('BERTH_AUTH_TOKEN_NOT_FOUND', { id: (request.params as { id: string }).id });
    }
    store.deleteToken(row.id);
    return { removed: tokenView(row) };
  });

  app.get('/api/users', { schema: schemas.listUsers }, async function listUsers(request) {
    requireAdmin(request);
    return { users: store.listUsers().map(userView) };
  });

  app.post<{ Body: CreateUserBody }>('/api/users', { schema: schemas.createUser }, async function createUser(request, reply) {
    requireAdmin(request);
    const body = request.body;
    const username = checkUsername(body.username);
    const password = checkPasswordPolicy(body.password);
    const user = store.createUser(username, await hashPassword(password));
    if (!user) {
      throw new AuthError('BERTH_AUTH_USER_EXISTS', { username });
    }
    return reply.code(201).send({ user: userView(user) });
  });

  app.delete<{ Params: UsernameParams }>('/api/users/:username', { schema: schemas.deleteUser }, async function deleteUser(request) {
    requireAdmin(request);
    const { username } = request.params;
    const user = store.findUser(username);
    if (!user || !store.deleteUser(user.username)) throw new AuthError('BERTH_AUTH_USER_NOT_FOUND', { username });
    return { removed: userView(user) };
  });

  type PasswordChange = { Params: UsernameParams; Body: PasswordBody };
  app.put<PasswordChange>('/api/users/:username/password', { schema: schemas.changePassword }, async function changePassword(request) {
    requireAdmin(request);
    const { username } = request.params;
    const password = checkPasswordPolicy(request.body.password);
    const user = store.findUser(username);
    if (!user) throw new AuthError('BERTH_AUTH_USER_NOT_FOUND', { username });
    // Other browsers signed in as this user are signed out; the one making the change stays in.
    const own = core.resolve(request.raw)?.webSession?.id;
    store.setPassword(user.username, await hashPassword(password), own === undefined ? undefined : hashSecret(own));
    return { user: userView(store.findUser(user.username) ?? user) };
  });
}

function requireAdmin(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new AuthError('BERTH_AUTH_REQUIRED');
  if (principal.scope !== 'admin') {
    throw new AuthError('BERTH_AUTH_FORBIDDEN', { principal: principal.name, scope: principal.scope });
  }
  return principal;
}

/** What the API answers for a user: the contract's type (src/api/types.ts). */
export type UserView = UserInfo;

function userView(user: UserRow): UserView {
  return { username: user.username, createdAt: new Date(user.createdAt).toISOString(), updatedAt: new Date(user.updatedAt).toISOString() };
}

/** What the API answers for a token (never its secret): the contract's type. */
export type TokenView = TokenInfo;

function tokenView(row: TokenRow): TokenView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    scope: row.scope,
    username: row.username,
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    expiresAt: iso(row.expiresAt),
  };
}
