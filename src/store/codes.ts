/** The store layer's codes (BERTH_STORE_*), each declared once with its status, cause, message and hint. */
import { defineError, type ErrorCatalogue } from '../shared/index.ts';

export const STORE_CODES = {
  BERTH_STORE_LOCKED: defineError({
    status: 409,
    summary: 'another Berth server is running with this data directory',
    /** The lock `file` and its holder; `aliveSeconds`: since its last heartbeat, when the file has one. */
    message: ({ file, pid, host, started, aliveSeconds }: { file: string; pid: number; host: string; started: string; aliveSeconds?: number }) =>
      `another Berth uses this data directory: ${file} is held by pid ${pid} on ${host} (started ${started}${aliveSeconds === undefined ? '' : `, alive ${aliveSeconds} s ago`})`,
    hint: ({ file }) =>
      'one data directory serves one Berth (two would delete each other\'s services): stop the other `berth serve`, or give this one another --data-dir. ' +
      `On Kubernetes keep replicas: 1 and strategy Recreate. If that Berth is gone for sure, delete ${file}.`,
  }),
  BERTH_STORE_LOCK_FAILED: defineError({
    status: 500,
    summary: 'the instance lock file in the data directory cannot be created',
    message: ({ file, reason }: { file: string; reason: string }) => `cannot create the instance lock ${file}: ${reason}`,
    hint: () => 'check that the data directory (--data-dir) is writable',
  }),
  BERTH_STORE_OPEN: defineError({
    status: 500,
    summary: 'the SQLite database in the data directory cannot be opened',
    message: ({ file }: { file: string }) => `cannot open the Berth database at ${file}`,
    hint: () => 'check that the data directory (--data-dir) is writable',
  }),
  BERTH_STORE_PERMISSIONS: defineError({
    status: 500,
    summary: 'a file or directory of the data directory cannot be made private to its owner',
    /** `mode`: the path's mode now, `wanted`: the private one (numbers, shown in octal). */
    message: ({ path, mode, wanted }: { path: string; mode: number; wanted: number }) => `cannot make ${path} private (mode ${mode.toString(8)}, wanted ${wanted.toString(8)})`,
    hint: () => 'run Berth as the owner of its data directory (--data-dir), or fix the mode by hand',
  }),
  BERTH_STORE_SECRET_KEY: defineError({
    status: 500,
    summary: 'the secret key file is missing, unreadable or malformed',
    /** `cannot`: what failed on the file; otherwise it does not hold a base64 key of `keyBytes` bytes. */
    message: (facts: { file: string; cannot: 'read' | 'create' } | { file: string; keyBytes: number }) =>
      `the secret key file ${facts.file} ${'cannot' in facts ? `cannot be ${facts.cannot === 'read' ? 'read' : 'created'}` : `does not hold a ${facts.keyBytes}-byte base64 key`}`,
    hint: () => 'restore the key file that belongs to this data directory (secrets stored with another key cannot be read), or point BERTH_SECRET_KEY_FILE at it',
  }),
  BERTH_STORE_SECRET_UNREADABLE: defineError({
    status: 500,
    summary: 'a stored secret cannot be decrypted with this secret key (the key belongs to another database)',
    /** `context`: what the secret belongs to (its additional authenticated data). */
    message: ({ context }: { context: string }) => `a stored secret (${context}) cannot be decrypted with this secret key`,
    hint: () => 'the key file does not belong to this database: restore the right one (BERTH_SECRET_KEY_FILE), or set the variable again',
  }),
} as const satisfies ErrorCatalogue;

export type StoreCode = keyof typeof STORE_CODES;
