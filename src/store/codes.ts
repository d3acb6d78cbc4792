/** The store layer's codes (BERTH_STORE_*), each declared once with its status and cause. */
import type { ErrorCatalogue } from '../shared/index.ts';

export const STORE_CODES = {
  BERTH_STORE_LOCKED: { status: 409, summary: 'another Berth server is running with this data directory' },
  BERTH_STORE_LOCK_FAILED: { status: 500, summary: 'the instance lock file in the data directory cannot be created' },
  BERTH_STORE_OPEN: { status: 500, summary: 'the SQLite database in the data directory cannot be opened' },
  BERTH_STORE_PERMISSIONS: { status: 500, summary: 'a file or directory of the data directory cannot be made private to its owner' },
  BERTH_STORE_SECRET_KEY: { status: 500, summary: 'the secret key file is missing, unreadable or malformed' },
  BERTH_STORE_SECRET_UNREADABLE: { status: 500, summary: 'a stored secret cannot be decrypted with this secret key (the key belongs to another database)' },
} as const satisfies ErrorCatalogue;

export type StoreCode = keyof typeof STORE_CODES;
