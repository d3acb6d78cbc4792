/**
 * How many runtime starts run at once, and when each may begin (docs/security.md, "Scale and
 * liveness"). A start is work for this machine's CPUs: a local one forks, execs and joins the
 * session's namespaces, a Docker one is the daemon's work. Requests (/api/health, the UI, the proxy)
 * are answered at once only while a CPU is free for them, so the number of starts in flight follows
 * the machine: halved after a window in which the CPUs were nearly all busy or the event loop
 * lagged, one more after each window in which neither happened while starts waited (additive
 * increase, multiplicative decrease: how TCP paces a sender). On 2 cores a 1,000-service start with
 * 8 at once left /api/health's p99 at 29-43 ms; one at a time, 15-16 ms, the start 10 % longer.
 * Starts that wait on another machine (a Kubernetes API server) leave the CPUs free and keep the
 * full limit.
 */
import { cpus } from 'node:os';

/** Whether the machine had no room to spare, measured over windows. */
export interface Pressure {
  /** Begins measuring (again). */
  start(): void;
  stop(): void;
  /** Whether it was overloaded since the last call (or the start). */
  overloaded(): boolean;
}

export interface Pacing {
  pressure: Pressure;
  /** Default 250 ms. */
  windowMs?: number;
}

export class Slots {
  readonly #max: number;
  #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #pacing: Required<Pacing> | undefined;
  #window: NodeJS.Timeout | undefined;

  /** Without `pacing`, always `max` at once. */
  constructor(max: number, pacing?: Pacing) {
    this.#max = Math.max(1, max);
    this.#limit = this.#max;
    this.#pacing = pacing && { windowMs: 250, ...pacing };
  }

  /** How many may run at once now. */
  get limit(): number {
    return this.#limit;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    this.#watch();
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      await ownTurn();
      return await operation();
    } finally {
      this.#running -= 1;
      this.#release();
    }
  }

  /**
   * Lets waiting operations begin while the limit allows. Once nothing runs it stops measuring and
   * the limit is the maximum again: the next session's few starts all begin at once.
   */
  #release(): void {
    while (this.#waiting.length > 0 && this.#running < this.#limit) {
      this.#running += 1;
      this.#waiting.shift()!();
    }
    if (this.#running === 0 && this.#window) {
      clearInterval(this.#window);
      this.#window = undefined;
      this.#pacing!.pressure.stop();
      this.#limit = this.#max;
    }
  }

  #watch(): void {
    if (!this.#pacing || this.#window) return;
    const { pressure, windowMs } = this.#pacing;
    pressure.start();
    this.#window = setInterval(() => this.#adjust(pressure.overloaded()), windowMs).unref();
  }

  #adjust(overloaded: boolean): void {
    if (overloaded) this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    else if (this.#waiting.length > 0) this.#limit = Math.min(this.#max, this.#limit + 1);
    this.#release();
  }
}

/** Overloaded: under `minIdleShare` of the CPUs' time idle (15 %), or the event loop ran a timer over `maxLagMs` late (20 ms). */
export function machinePressure({ minIdleShare = 0.15, maxLagMs = 20 } = {}): Pressure {
  const lag = loopLag();
  let last = { idle: 0, total: 0 }; // set by start()
  return {
    start() {
      lag.start();
      last = cpuTimes();
    },
    stop: () => lag.stop(),
    overloaded() {
      const now = cpuTimes();
      const idleShare = (now.idle - last.idle) / Math.max(1, now.total - last.total);
      last = now;
      return idleShare < minIdleShare || lag.take() > maxLagMs;
    },
  };
}

/**
 * How late a 10 ms timer ran, the longest since the last `take`. (perf_hooks' monitorEventLoopDelay
 * does not see a blocked loop: after a 60 ms turn its longest sample was 10.2 ms on Node 20, its
 * 10 ms interval included; `npm run bench:liveness`.)
 */
function loopLag() {
  const intervalMs = 10;
  let timer: NodeJS.Timeout | undefined;
  let due = 0;
  let longest = 0;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - due);
    due = now + intervalMs;
    timer = setTimeout(tick, intervalMs).unref();
  };
  return {
    start(): void {
      clearTimeout(timer);
      longest = 0;
      due = performance.now() + intervalMs;
      timer = setTimeout(tick, intervalMs).unref();
    },
    stop: (): void => clearTimeout(timer),
    take(): number {
      const taken = longest;
      longest = 0;
      return taken;
    },
  };
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

const turns: (() => void)[] = [];
let pumping = false;

/**
 * Resolves in an event-loop iteration of its own, one waiter per iteration, after pending I/O: a
 * start's synchronous part never runs back to back with the next one's, so requests are answered
 * between them. (Immediates queued together would all run in one check phase.)
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
