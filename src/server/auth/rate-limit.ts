/**
 * Backoff for failed sign-ins, per client address: a few free attempts, then a wait that doubles
 * with each failure up to a minute. A success clears the address's record.
 */
const FREE_ATTEMPTS = 5;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;
/** A record untouched this long is forgotten. */
const FORGET_AFTER_MS = 15 * 60_000;
const MAX_TRACKED = 10_000;

interface Attempts {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class LoginRateLimiter {
  readonly #attempts = new Map<string, Attempts>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Milliseconds this address must still wait, 0 when it may try. */
  waitFor(address: string): number {
    const entry = this.#attempts.get(address);
    if (!entry) return 0;
    const now = this.#now();
    if (now - entry.lastFailure > FORGET_AFTER_MS) {
      this.#attempts.delete(address);
      return 0;
    }
    return Math.max(0, entry.blockedUntil - now);
  }

  fail(address: string): void {
    const now = this.#now();
    if (this.#attempts.size >= MAX_TRACKED) this.#forgetStale(now);
    const entry = this.#attempts.get(address) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    entry.failures += 1;
    entry.lastFailure = now;
    if (entry.failures >= FREE_ATTEMPTS) {
      entry.blockedUntil = now + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (entry.failures - FREE_ATTEMPTS));
    }
    this.#attempts.set(address, entry);
  }

  succeed(address: string): void {
    this.#attempts.delete(address);
  }

  #forgetStale(now: number): void {
    for (const [address, entry] of this.#attempts) {
      if (now - entry.lastFailure > FORGET_AFTER_MS) this.#attempts.delete(address);
    }
    // Under a flood from many addresses, drop the oldest half rather than grow without bound.
    if (this.#attempts.size >= MAX_TRACKED) {
      let drop = Math.floor(this.#attempts.size / 2);
      for (const address of this.#attempts.keys()) {
        if (drop-- <= 0) break;
        this.#attempts.delete(address);
      }
    }
  }
}
