/** @module store: SQLite persistence. Features own their tables through MigrationSets. */
export { openDatabase, applyMigrations, makePrivate, StoreError, type Db, type MigrationSet } from './db.ts';
export { STORE_CODES, type StoreCode } from './codes.ts';
export { acquireInstanceLock, LOCK_FILE, type InstanceLock, type LockHolder } from './instance-lock.ts';
export { rowMapper } from './rows.ts';
export { loadSecretKey, secretKeyPath, type SecretBox, type LoadedKey } from './secret-box.ts';
export {
  CoreStore,
  coreMigrations,
  type ProjectRecord,
  type SessionRecord,
  type SessionStatus,
  type ServiceRecord,
  type ServiceStatus,
} from './core.ts';
