/**
 * Secrets at rest: env var values (project and pipeline) are stored AES-256-GCM encrypted with a key
 * kept in its own 0600 file (`<data-dir>/secret.key`, or BERTH_SECRET_KEY_FILE to keep it elsewhere).
 * What it protects against: a copy of berth.db, its WAL or a backup of them without the key file. Not
 * against root or the Berth user on the host, who can read the key (docs/security.md).
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StoreError } from './db.ts';

/** How every sealed value starts (the store filters on it in SQL). */
export const SEALED_PREFIX = 'berth-enc:v1:';
const PREFIX = SEALED_PREFIX;
const KEY_BYTES = 32;

export interface SecretBox {
  /** `context` binds the value to its row (project, pipeline, name): a value copied to another row fails to open. */
  seal(plain: string, context: string): string;
  open(stored: string, context: string): string;
  isSealed(stored: string): boolean;
}

export interface LoadedKey {
  box: SecretBox;
  file: string;
  /** Set when the key file had to be created or made private: for the operator to see. */
  note?: string;
}

/** The key file's path: BERTH_SECRET_KEY_FILE, else `<dataDir>/secret.key`. */
export function secretKeyPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_SECRET_KEY_FILE || join(dataDir, 'secret.key');
}

/** Reads the key, creating it (0600, never overwriting) at the first start. */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): LoadedKey {
  const file = secretKeyPath(dataDir, env);
  let note: string | undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError('BERTH_STORE_SECRET_KEY', { file, cannot: 'read' }, { cause });
    try {
      writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeCause) {
      throw new StoreError('BERTH_STORE_SECRET_KEY', { file, cannot: 'create' }, { cause: writeCause });
    }
    text = readFileSync(file, 'utf8');
  }
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) {
    chmodSync(file, 0o600);
    note = `the secret key file ${file} was mode ${mode.toString(8)}, now 600`;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new StoreError('BERTH_STORE_SECRET_KEY', { file, keyBytes: KEY_BYTES });
  return { box: aesGcmBox(key), file, ...(note ? { note } : {}) };
}

function aesGcmBox(key: Buffer): SecretBox {
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${sealed.toString('base64url')}`;
    },
    open(stored, context) {
      // Rows written before encryption existed: migrated at start, read as they are until then.
      if (!stored.startsWith(PREFIX)) return stored;
      const [iv = '', tag = '', sealed = ''] = stored.slice(PREFIX.length).split(':');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new StoreError('BERTH_STORE_SECRET_UNREADABLE', { context }, { cause });
      }
    },
    isSealed: (stored) => stored.startsWith(PREFIX),
  };
}
