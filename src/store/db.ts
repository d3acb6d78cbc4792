/**
 * SQLite through better-sqlite3 (synchronous, one connection per server). Each feature owns its
 * tables and registers its own ordered migrations under a unique name; `openDatabase` applies the
 * ones not yet applied, each in a transaction, and records them in `schema_migrations`.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BerthError } from '../shared/index.ts';

export type Db = Database.Database;

export class StoreError extends BerthError {}

export interface MigrationSet {
  /** Unique per feature, e.g. `core`, `auth`, `environments`. */
  feature: string;
  /** Applied in order; never edit a released entry, append a new one. */
  steps: string[];
}

export function openDatabase(file: string, migrations: MigrationSet[]): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (cause) {
    throw new StoreError('BERTH_STORE_OPEN', `cannot open the Berth database at ${file}`, {
      cause,
      hint: 'check that the data directory (--data-dir) is writable',
    });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: Db, migrations: MigrationSet[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    feature TEXT NOT NULL, step INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (feature, step))`);
  const applied = db.prepare('SELECT step FROM schema_migrations WHERE feature = ?');
  const record = db.prepare('INSERT INTO schema_migrations (feature, step, applied_at) VALUES (?, ?, ?)');
  for (const set of migrations) {
    const done = new Set((applied.all(set.feature) as { step: number }[]).map((r) => r.step));
    set.steps.forEach((sql, step) => {
      if (done.has(step)) return;
      db.transaction(() => {
        db.exec(sql);
        record.run(set.feature, step, new Date().toISOString());
      })();
    });
  }
}
