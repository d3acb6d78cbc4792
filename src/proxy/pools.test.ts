/** Upstream pools: one per address, reused while used, closed once idle, never while a request runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { UpstreamPools } from './pools.ts';

test('an idle pool is closed by the sweep; a pool with a request in flight stays', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const upstream = createServer((req, res) => {
    if (req.url === '/slow') void held.then(() => res.end('late'));
    else res.end('ok');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const { port } = upstream.address() as AddressInfo;
  const pools = new UpstreamPools({ idleMs: 50, sweepMs: 20 });
  t.after(async () => {
    release();
    await pools.close();
    upstream.close();
  });

  const first = pools.get({ host: '127.0.0.1', port });
  assert.equal(pools.get({ host: '127.0.0.1', port }), first, 'one pool per address while it is used');
  assert.equal((await (await first.request({ path: '/', method: 'GET' })).body.text()), 'ok');
  await sleep(150);
  assert.equal(pools.size, 0, 'unused for longer than idleMs: closed');
  assert.equal(first.closed, true);

  const busy = pools.get({ host: '127.0.0.1', port });
  assert.notEqual(busy, first, 'a new pool after the old one was closed');
  const slow = busy.request({ path: '/slow', method: 'GET' });
  await sleep(150);
  assert.equal(pools.size, 1, 'a request in flight keeps its pool');
  release();
  assert.equal(await (await slow).body.text(), 'late');
});
