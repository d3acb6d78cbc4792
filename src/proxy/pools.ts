/**
 * Keep-alive connection pools to upstreams, one undici Pool per target address. undici's HTTP/1.1
 * client measured ~1.6-2x the requests/s of node:http's ClientRequest + Agent in this proxy
 * (bench/proxy, same run), which is where a Node proxy spends most of its time.
 *
 * Sessions come and go, and with them their services' addresses: a pool nobody has asked for in
 * `idleMs` and with no request in flight is closed by a sweep, so a long-running server does not
 * keep one per service it ever proxied.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { buildConnector, Pool } from 'undici';
import type { UpstreamTarget } from './route-table.ts';

/**
 * undici's Pool class and its request API, as undici's own index assembles them, without the rest of
 * that index (fetch, WebSocket, caches, mocks): 8-9 MB less in every Berth process that proxies
 * (docs/architecture.md, "CLI speed"). undici is pinned with a tilde, and the proxy's tests fail at
 * once should these files move.
 */
const requireUndici = createRequire(import.meta.url);
let undiciPool: typeof Pool | undefined;

/**
 * Loaded on the first proxied request, not at start: an idle server that proxies nothing does not
 * hold undici (about 10 MB of `berth serve`'s idle memory, bench/cli).
 */
function loadUndiciPool(): typeof Pool {
  if (!undiciPool) {
    Object.assign((requireUndici('undici/lib/dispatcher/dispatcher.js') as { prototype: object }).prototype, requireUndici('undici/lib/api/index.js'));
    undiciPool = requireUndici('undici/lib/dispatcher/pool.js') as typeof Pool;
  }
  return undiciPool;
}

/** undici's connector callback over a function that opens the connection. */
function connectWith(connect: () => Promise<Socket>): buildConnector.connector {
  return function connectUpstream(_options, callback) {
    connect().then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error, null),
    );
  };
}

export interface UpstreamPoolsOptions {
  /** Unused this long (and idle), a pool is closed. Default 5 minutes. */
  idleMs?: number;
  /** How often idle pools are looked for. Default 1 minute. */
  sweepMs?: number;
}

export class UpstreamPools {
  readonly #pools = new Map<string, { pool: Pool; lastUsed: number }>();
  readonly #idleMs: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: UpstreamPoolsOptions = {}) {
    this.#idleMs = options.idleMs ?? 300_000;
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepMs ?? 60_000).unref();
  }

  /** The pool of `target`'s address (its socketPath when it has one), opening connections with `target.connect` if given. */
  get(target: UpstreamTarget): Pool {
    const { host, port, socketPath, connect } = target;
    const key = socketPath ? `unix:${socketPath}` : `${host}:${port}`;
    let entry = this.#pools.get(key);
    if (!entry) {
      const UndiciPool = loadUndiciPool();
      const pool = new UndiciPool(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, {
        // No timers on headers or bodies: long polls, slow uploads and idle streams must live (undici's default is 300 s).
        headersTimeout: 0,
        bodyTimeout: 0,
        // Idle upstream sockets close after this unless the upstream asks for less (Keep-Alive: timeout=…).
        keepAliveTimeout: 30_000,
        ...(socketPath ? { socketPath } : {}),
        ...(connect ? { connect: connectWith(connect) } : {}),
      });
      entry = { pool, lastUsed: 0 };
      this.#pools.set(key, entry);
    }
    entry.lastUsed = Date.now();
    return entry.pool;
  }

  /** How many pools are open (for tests and diagnostics). */
  get size(): number {
    return this.#pools.size;
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#idleMs;
    for (const [key, { pool, lastUsed }] of this.#pools) {
      const { running, pending } = pool.stats;
      if (lastUsed > cutoff || running > 0 || pending > 0) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const pools = [...this.#pools.values()].map((entry) => entry.pool);
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
