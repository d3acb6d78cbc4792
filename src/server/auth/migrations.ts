/**
 * The auth tables. Secrets are never stored: tokens and web session ids as sha256 hex, passwords as
 * scrypt strings carrying their own salt and cost parameters. Times are epoch milliseconds.
 */
import type { MigrationSet } from '../../store/index.ts';

export const authMigrations: MigrationSet = {
  feature: 'auth',
  steps: [
    `CREATE TABLE auth_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE auth_users (
       id INTEGER PRIMARY KEY,
       username TEXT NOT NULL UNIQUE COLLATE NOCASE,
       password_hash TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL);
     CREATE TABLE auth_tokens (
       id INTEGER PRIMARY KEY,
       token_hash TEXT NOT NULL UNIQUE,
       name TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN ('login-link', 'cli', 'api', 'session')),
       scope TEXT NOT NULL,
       user_id INTEGER REFERENCES auth_users(id) ON DELETE CASCADE,
       created_at INTEGER NOT NULL,
       last_used_at INTEGER,
       expires_at INTEGER);
     CREATE INDEX auth_tokens_scope ON auth_tokens(scope);
     CREATE TABLE auth_web_sessions (
       id_hash TEXT PRIMARY KEY,
       user_id INTEGER REFERENCES auth_users(id) ON DELETE CASCADE,
       token_id INTEGER REFERENCES auth_tokens(id) ON DELETE CASCADE,
       csrf_secret TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       CHECK ((user_id IS NULL) <> (token_id IS NULL)));`,
  ],
};
