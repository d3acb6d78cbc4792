/**
 * Serialises operations on one key (a session): start, apply, restart and stop never interleave,
 * so the reconcile steps of one operation always see the state the previous one left.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves when every queued operation has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}

/**
 * At most `limit` operations at once, the rest queued in order: starts of a large session go in
 * waves, so spawning a thousand processes or creating a thousand containers never takes the event
 * loop (and with it health checks, the UI and the proxy) for seconds at a time.
 */
export class Slots {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      await ownTurn();
      return await operation();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}

const turns: (() => void)[] = [];
let pumping = false;

/**
 * Resolves in an event-loop iteration of its own, one waiter per iteration, after pending I/O: a
 * start's synchronous part (a local spawn forks this whole process) never runs back to back with
 * the next one's, so requests are answered between them. (Immediates queued together would all run
 * in one check phase.)
 */
function ownTurn(): Promise<void> {
  return new Promise((resolve) => {
    turns.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pumpTurn);
    }
  });
}

function pumpTurn(): void {
  turns.shift()?.();
  if (turns.length > 0) setImmediate(pumpTurn);
  else pumping = false;
}
