/**
 * SQLite through better-sqlite3 (synchronous, one connection per server). Each feature owns its
 * tables and registers its own ordered migrations under a unique name; `openDatabase` applies the
 * ones not yet applied, each in a transaction, and records them in `schema_migrations`.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { STORE_CODES, type StoreCode } from './codes.ts';

export type Db = Database.Database;

/** Errors of the store: BERTH_STORE_* codes, declared with their words in ./codes.ts. */
export class StoreError extends BerthError<StoreCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof STORE_CODES>) {
    super(code, renderError(STORE_CODES[code], params), options);
  }
}

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
    throw new StoreError('BERTH_STORE_OPEN', { file }, { cause });
  }
  db.pragma('journal_mode = WAL');
  // Commits reach the WAL file without an fsync each: a SIGKILLed Berth loses nothing, a power cut may
  // lose the last commits but never corrupts the database (SQLite's advice for WAL). With FULL, every
  // service status written held the event loop for its fsync, 1-2 ms each: 3,000 of them in a
  // 1,000-service start.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, migrations);
  cacheStatements(db);
  return db;
}

/**
 * Compiles each SQL text once: the stores prepare their statements where they run them, and a large
 * session runs the same few thousands of times. Stores only use run/get/all, which may reuse a
 * statement freely (an open iterate() would not).
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const compiled = new Map<string, ReturnType<typeof compile>>();
  db.prepare = function preparedOnce(source: string) {
    let statement = compiled.get(source);
    if (!statement) compiled.set(source, (statement = compile(source)));
    return statement;
  } as typeof db.prepare;
}

/**
 * Makes a directory 0700 and the files in `files` that exist 0600, at every start: a data directory
 * created beforehand (or restored from a backup) with 755/644 let other local users read secrets
 * from berth.db and its WAL. SQLite gives -wal and -shm the mode of the database file, so they stay
 * private once it is. Returns a line per path it had to fix, for the operator to see.
 */
export function makePrivate(dir: string, files: readonly string[]): string[] {
  const fixed: string[] = [];
  const tighten = (path: string, mode: number): void => {
    let current: number;
    try {
      current = statSync(path).mode & 0o777;
    } catch {
      return;
    }
    if (current === mode) return;
    try {
      chmodSync(path, mode);
    } catch (cause) {
      throw new StoreError('BERTH_STORE_PERMISSIONS', { path, mode: current, wanted: mode }, { cause });
    }
    fixed.push(`${path} was mode ${current.toString(8)}, now ${mode.toString(8)}`);
  };
  tighten(dir, 0o700);
  for (const file of files) tighten(file, 0o600);
  return fixed;
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
