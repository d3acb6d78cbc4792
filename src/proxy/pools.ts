/**
 * Keep-alive connection pools to upstreams, one undici Pool per target address. undici's HTTP/1.1
 * client measured ~1.6-2x the requests/s of node:http's ClientRequest + Agent in this proxy
 * (bench/proxy, same run), which is where a Node proxy spends most of its time.
 */
import { Pool } from 'undici';

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  get(host: string, port: number): Pool {
    const key = `${host}:${port}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, {
        // No timers on headers or bodies: long polls, slow uploads and idle streams must live (undici's default is 300 s).
        headersTimeout: 0,
        bodyTimeout: 0,
        // Idle upstream sockets close after this unless the upstream asks for less (Keep-Alive: timeout=…).
        keepAliveTimeout: 30_000,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
