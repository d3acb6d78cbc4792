/**
 * SQLite access for users, API tokens and web sessions. Callers hand in secrets; only their sha256
 * hashes reach the database.
 */
import type { Db } from '../../store/index.ts';
import { hashSecret, newSecret, sameSecret } from './secrets.ts';

export type Scope = 'admin' | `session:${string}`;
export type TokenKind = 'login-link' | 'cli' | 'api' | 'session';

export interface UserRow {
  id: number;
  username: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface TokenRow {
  id: number;
  name: string;
  kind: TokenKind;
  scope: Scope;
  userId: number | null;
  username: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

/** A live web session with whoever it belongs to: a user, or the token it was opened with. */
export interface WebSessionRow {
  idHash: string;
  csrfSecret: string;
  expiresAt: number;
  userId: number | null;
  username: string | null;
  token: TokenRow | null;
}

const TOKEN_COLUMNS = `t.id, t.token_hash AS tokenHash, t.name, t.kind, t.scope, t.user_id AS userId, u.username,
  t.created_at AS createdAt, t.last_used_at AS lastUsedAt, t.expires_at AS expiresAt`;

/** last_used_at is written at most this often per token, so authenticated traffic does not write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthStore {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  meta(key: string): string | undefined {
    const row = this.#db.prepare('SELECT value FROM auth_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#db.prepare('INSERT INTO auth_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // --- users -------------------------------------------------------------------------------------

  listUsers(): UserRow[] {
    return this.#db
      .prepare('SELECT id, username, password_hash AS passwordHash, created_at AS createdAt, updated_at AS updatedAt FROM auth_users ORDER BY username')
      .all() as UserRow[];
  }

  findUser(username: string): UserRow | undefined {
    return this.#db
      .prepare('SELECT id, username, password_hash AS passwordHash, created_at AS createdAt, updated_at AS updatedAt FROM auth_users WHERE username = ?')
      .get(username) as UserRow | undefined;
  }

  /** Returns undefined when the name is taken (case-insensitively). */
  createUser(username: string, passwordHash: string): UserRow | undefined {
    const now = this.#now();
    const result = this.#db
      .prepare('INSERT INTO auth_users (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(username, passwordHash, now, now);
    return result.changes === 0 ? undefined : this.findUser(username);
  }

  deleteUser(username: string): boolean {
    return this.#db.prepare('DELETE FROM auth_users WHERE username = ?').run(username).changes > 0;
  }

  /** Sets a new password and ends the user's web sessions except `keepSessionHash` (the one asking). */
  setPassword(username: string, passwordHash: string, keepSessionHash?: string): boolean {
    return this.#db.transaction(() => {
      const user = this.findUser(username);
      if (!user) return false;
      this.#db.prepare('UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?').run(passwordHash, this.#now(), user.id);
      this.#db.prepare('DELETE FROM auth_web_sessions WHERE user_id = ? AND id_hash IS NOT ?').run(user.id, keepSessionHash ?? null);
      return true;
    })();
  }

  // --- tokens ------------------------------------------------------------------------------------

  /** Creates a token and returns the secret: the only time it exists outside the caller's hands. */
  createToken(input: { name: string; kind: TokenKind; scope: Scope; userId?: number | null; expiresAt?: number | null }): { token: string; row: TokenRow } {
    const token = newSecret();
    const result = this.#db
      .prepare('INSERT INTO auth_tokens (token_hash, name, kind, scope, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(hashSecret(token), input.name, input.kind, input.scope, input.userId ?? null, this.#now(), input.expiresAt ?? null);
    const row = this.tokenById(Number(result.lastInsertRowid));
    if (!row) throw new Error('token row vanished right after insert');
    return { token, row };
  }

  tokenById(id: number): TokenRow | undefined {
    const row = this.#db.prepare(`SELECT ${TOKEN_COLUMNS} FROM auth_tokens t LEFT JOIN auth_users u ON u.id = t.user_id WHERE t.id = ?`).get(id) as
      | (TokenRow & { tokenHash: string })
      | undefined;
    return row ? stripHash(row) : undefined;
  }

  /** The live (unexpired) token with this secret, marking it used. */
  findLiveToken(token: string): TokenRow | undefined {
    const hash = hashSecret(token);
    const row = this.#db
      .prepare(`SELECT ${TOKEN_COLUMNS} FROM auth_tokens t LEFT JOIN auth_users u ON u.id = t.user_id WHERE t.token_hash = ?`)
      .get(hash) as (TokenRow & { tokenHash: string }) | undefined;
    // The lookup is by hash; comparing again in constant time keeps the check itself timing-safe.
    if (!row || !sameSecret(row.tokenHash, hash)) return undefined;
    const now = this.#now();
    if (row.expiresAt !== null && row.expiresAt <= now) return undefined;
    this.#db
      .prepare('UPDATE auth_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
      .run(now, row.id, now - LAST_USED_RESOLUTION_MS);
    return stripHash(row);
  }

  listTokens(kinds: TokenKind[]): TokenRow[] {
    const placeholders = kinds.map(() => '?').join(', ');
    const rows = this.#db
      .prepare(`SELECT ${TOKEN_COLUMNS} FROM auth_tokens t LEFT JOIN auth_users u ON u.id = t.user_id WHERE t.kind IN (${placeholders}) ORDER BY t.id`)
      .all(...kinds) as (TokenRow & { tokenHash: string })[];
    return rows.map(stripHash);
  }

  deleteToken(id: number): boolean {
    return this.#db.prepare('DELETE FROM auth_tokens WHERE id = ?').run(id).changes > 0;
  }

  deleteTokensOfKind(kind: TokenKind): number {
    return this.#db.prepare('DELETE FROM auth_tokens WHERE kind = ?').run(kind).changes;
  }

  deleteTokensWithScope(scope: Scope): number {
    return this.#db.prepare('DELETE FROM auth_tokens WHERE scope = ?').run(scope).changes;
  }

  // --- web sessions ------------------------------------------------------------------------------

  createWebSession(owner: { userId: number } | { tokenId: number }, lifetimeMs: number): { id: string; csrfSecret: string; expiresAt: number } {
    const id = newSecret();
    const csrfSecret = newSecret();
    const now = this.#now();
    const expiresAt = now + lifetimeMs;
    this.#db
      .prepare('INSERT INTO auth_web_sessions (id_hash, user_id, token_id, csrf_secret, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hashSecret(id), 'userId' in owner ? owner.userId : null, 'tokenId' in owner ? owner.tokenId : null, csrfSecret, now, expiresAt);
    return { id, csrfSecret, expiresAt };
  }

  findLiveWebSession(id: string): WebSessionRow | undefined {
    const hash = hashSecret(id);
    const row = this.#db
      .prepare(
        `SELECT s.id_hash AS idHash, s.csrf_secret AS csrfSecret, s.expires_at AS expiresAt, s.user_id AS userId, u.username, s.token_id AS tokenId
         FROM auth_web_sessions s LEFT JOIN auth_users u ON u.id = s.user_id WHERE s.id_hash = ?`,
      )
      .get(hash) as (Omit<WebSessionRow, 'token'> & { tokenId: number | null }) | undefined;
    if (!row || !sameSecret(row.idHash, hash) || row.expiresAt <= this.#now()) return undefined;
    let token: TokenRow | null = null;
    if (row.tokenId !== null) {
      // Revoking the token (deleting its row) ends the web sessions opened with it; its expiry does
      // not: the token was valid at sign-in, and the first-start link should not log you out a day later.
      token = this.tokenById(row.tokenId) ?? null;
      if (!token) return undefined;
    }
    const { tokenId: _tokenId, ...rest } = row;
    return { ...rest, token };
  }

  deleteWebSession(id: string): void {
    this.#db.prepare('DELETE FROM auth_web_sessions WHERE id_hash = ?').run(hashSecret(id));
  }

  /** Forgets expired web sessions and tokens (they are refused anyway; this keeps the tables small). */
  pruneExpired(): void {
    const now = this.#now();
    this.#db.prepare('DELETE FROM auth_web_sessions WHERE expires_at <= ?').run(now);
    // Expired tokens that still carry a live web session stay until that session ends (see above).
    this.#db
      .prepare(
        `DELETE FROM auth_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?
         AND id NOT IN (SELECT token_id FROM auth_web_sessions WHERE token_id IS NOT NULL)`,
      )
      .run(now);
  }
}

function stripHash(row: TokenRow & { tokenHash: string }): TokenRow {
  const { tokenHash: _tokenHash, ...rest } = row;
  return rest;
}
