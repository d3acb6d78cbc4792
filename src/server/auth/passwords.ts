/**
 * Password hashing with scrypt (Node's built-in, memory-hard). The stored string carries the cost
 * parameters and the salt, so the cost can be raised later without breaking existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AuthError } from './errors.ts';

const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...options, maxmem: 64 * 1024 * 1024 }, function scryptDone(error, key) {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** `scrypt$N$r$p$<salt base64url>$<key base64url>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/** Verifies against a throwaway hash so an unknown username costs as much time as a wrong password. */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hashPassword('berth-dummy-password');
  await verifyPassword(password, await dummyHash);
  return false;
}

export function checkPasswordPolicy(password: unknown, field = 'password'): string {
  if (typeof password !== 'string') {
    throw new AuthError('BERTH_AUTH_BAD_REQUEST', { needs: 'string', field });
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AuthError('BERTH_AUTH_PASSWORD_TOO_SHORT', { field, length: password.length, minimum: MIN_PASSWORD_LENGTH });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AuthError('BERTH_AUTH_PASSWORD_TOO_LONG', { field, maximum: MAX_PASSWORD_LENGTH });
  }
  return password;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new AuthError('BERTH_AUTH_USERNAME_INVALID', { username });
  }
  return username;
}
