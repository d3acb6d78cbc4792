/**
 * The hand-shake's state in SQLite: one-time codes (60 s) and the grants they turn into, both bound
 * to one service host and one web session, stored as sha256 hashes. Both reference the web session
 * with ON DELETE CASCADE, so signing out (or a password change, or revoking the token a session was
 * opened with) ends every service host's access at once.
 */
import type { Db, MigrationSet } from '../../store/index.ts';
import { hashSecret, newSecret } from '../auth/secrets.ts';

export const serviceOriginMigrations: MigrationSet = {
  feature: 'service-origin',
  steps: [
    `CREATE TABLE service_origin_codes (
       code_hash TEXT PRIMARY KEY,
       host TEXT NOT NULL,
       web_session_hash TEXT NOT NULL REFERENCES auth_web_sessions(id_hash) ON DELETE CASCADE,
       expires_at INTEGER NOT NULL);
     CREATE INDEX service_origin_codes_session ON service_origin_codes(web_session_hash);
     CREATE TABLE service_origin_grants (
       grant_hash TEXT PRIMARY KEY,
       host TEXT NOT NULL,
       web_session_hash TEXT NOT NULL REFERENCES auth_web_sessions(id_hash) ON DELETE CASCADE,
       expires_at INTEGER NOT NULL);
     CREATE INDEX service_origin_grants_session ON service_origin_grants(web_session_hash);`,
  ],
};

export class ServiceOriginStore {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** A fresh one-time code for `host`, valid `lifetimeMs`; returns the secret. */
  createCode(host: string, webSessionHash: string, lifetimeMs: number): string {
    const code = newSecret();
    const now = this.#now();
    // Expired codes are refused anyway; dropping them here keeps the table small without a timer.
    this.#db.prepare('DELETE FROM service_origin_codes WHERE expires_at <= ?').run(now);
    this.#db
      .prepare('INSERT INTO service_origin_codes (code_hash, host, web_session_hash, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashSecret(code), host, webSessionHash, now + lifetimeMs);
    return code;
  }

  /**
   * Uses up a code: the web session it was issued to and that session's expiry when the code is
   * live, issued for `host` and its web session still live; undefined otherwise. A code works once.
   */
  redeemCode(code: string, host: string): { webSessionHash: string; sessionExpiresAt: number } | undefined {
    const hash = hashSecret(code);
    return this.#db.transaction(() => {
      const row = this.#db
        .prepare(
          `SELECT c.host, c.web_session_hash AS webSessionHash, c.expires_at AS expiresAt, s.expires_at AS sessionExpiresAt
           FROM service_origin_codes c JOIN auth_web_sessions s ON s.id_hash = c.web_session_hash WHERE c.code_hash = ?`,
        )
        .get(hash) as { host: string; webSessionHash: string; expiresAt: number; sessionExpiresAt: number } | undefined;
      this.#db.prepare('DELETE FROM service_origin_codes WHERE code_hash = ?').run(hash);
      const now = this.#now();
      if (!row || row.host !== host || row.expiresAt <= now || row.sessionExpiresAt <= now) return undefined;
      return { webSessionHash: row.webSessionHash, sessionExpiresAt: row.sessionExpiresAt };
    })();
  }

  /** A grant (the service host's cookie value) for `host`, ending at `expiresAt`; returns the secret. */
  createGrant(host: string, webSessionHash: string, expiresAt: number): string {
    const grant = newSecret();
    this.#db.prepare('DELETE FROM service_origin_grants WHERE expires_at <= ?').run(this.#now());
    this.#db
      .prepare('INSERT INTO service_origin_grants (grant_hash, host, web_session_hash, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashSecret(grant), host, webSessionHash, expiresAt);
    return grant;
  }

  /** True when `grant` is live, was issued for `host`, and its web session is still live. */
  grantValid(grant: string, host: string): boolean {
    const row = this.#db
      .prepare(
        `SELECT g.host, g.expires_at AS expiresAt, s.expires_at AS sessionExpiresAt
         FROM service_origin_grants g JOIN auth_web_sessions s ON s.id_hash = g.web_session_hash WHERE g.grant_hash = ?`,
      )
      .get(hashSecret(grant)) as { host: string; expiresAt: number; sessionExpiresAt: number } | undefined;
    const now = this.#now();
    return row !== undefined && row.host === host && row.expiresAt > now && row.sessionExpiresAt > now;
  }
}
