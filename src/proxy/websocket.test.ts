import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { connections, eventually, route, startProxyServer } from './fixtures/http.ts';
import { echo, openSocket, refusedStatus, startEchoUpstream } from './fixtures/ws.ts';

describe('proxy: WebSockets', () => {
  test('echoes through a stripped route; the upstream sees the stripped path and forwarded headers', async (t) => {
    const up = await startEchoUpstream(t);
    const { port } = await startProxyServer(t, [route({}, up.port)]);
    const socket = await openSocket(t, `ws://127.0.0.1:${port}/service-app-sess1_8080/api/kernels/k1/channels?session_id=s`);
    assert.equal(await echo(socket, 'hello'), 'hello');
    assert.equal(await echo(socket, 'x'.repeat(200_000)), 'x'.repeat(200_000));
    assert.equal(up.handshakes[0]?.url, '/api/kernels/k1/channels?session_id=s');
    assert.equal(up.handshakes[0]?.headers.host, `127.0.0.1:${port}`);
    assert.equal(up.handshakes[0]?.headers['x-forwarded-prefix'], '/service-app-sess1_8080');
    assert.equal(up.handshakes[0]?.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('preserves the path on preserve routes, and the bare prefix reaches the service root', async (t) => {
    const up = await startEchoUpstream(t);
    const { port } = await startProxyServer(t, [route({ stripPrefix: false }, up.port), route({ port: 9000 }, up.port)]);
    const preserved = await openSocket(t, `ws://127.0.0.1:${port}/pbp-service-app-sess1_8080/_stcore/stream`);
    assert.equal(await echo(preserved, 'p'), 'p');
    assert.equal(up.handshakes[0]?.url, '/pbp-service-app-sess1_8080/_stcore/stream');
    const bare = await openSocket(t, `ws://127.0.0.1:${port}/service-app-sess1_9000`);
    assert.equal(await echo(bare, 'b'), 'b');
    assert.equal(up.handshakes[1]?.url, '/');
  });

  test('handshakes for unknown, starting or protected services get the proxy answer and a closed socket', async (t) => {
    const { port, server } = await startProxyServer(t, [route({ state: 'starting' }), route({ port: 9000, requiresAuthentication: true, target: { host: '127.0.0.1', port: 1 } })], {
      authorize: () => 'unauthenticated',
    });
    assert.equal((await refusedStatus(`ws://127.0.0.1:${port}/service-nope-x_1/`)).status, 404);
    const starting = await refusedStatus(`ws://127.0.0.1:${port}/service-app-sess1_8080/`);
    assert.equal(starting.status, 503);
    const locked = await refusedStatus(`ws://127.0.0.1:${port}/service-app-sess1_9000/`);
    assert.equal(locked.status, 401);
    assert.equal((JSON.parse(locked.body) as { error: { code: string } }).error.code, 'BERTH_PROXY_UNAUTHENTICATED');
    await eventually(async () => (await connections(server)) === 0, 'proxy sockets closed after refused handshakes');
  });

  test('an upstream that answers the handshake with an error status: the client gets that answer', async (t) => {
    const up = await startEchoUpstream(t);
    up.wss.options.verifyClient = (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) => done(false, 403, 'Forbidden origin');
    const { port, server } = await startProxyServer(t, [route({}, up.port)]);
    const answer = await refusedStatus(`ws://127.0.0.1:${port}/service-app-sess1_8080/`);
    assert.equal(answer.status, 403);
    await eventually(async () => (await connections(server)) === 0, 'proxy sockets closed after an upstream 403');
  });
});

describe('proxy: WebSocket socket leaks', () => {
  test('the upstream dying mid-connection closes the client socket; open sockets return to the baseline', async (t) => {
    const up = await startEchoUpstream(t);
    const { port, server } = await startProxyServer(t, [route({}, up.port)]);
    const baseline = await connections(server);
    const sockets = await Promise.all([1, 2, 3].map(() => openSocket(t, `ws://127.0.0.1:${port}/service-app-sess1_8080/`)));
    for (const socket of sockets) assert.equal(await echo(socket, 'before'), 'before');
    assert.equal(await connections(server), baseline + 3);
    const closed = sockets.map((socket) => once(socket, 'close'));
    for (const client of up.wss.clients) client.terminate();
    await Promise.all(closed);
    await eventually(async () => (await connections(server)) === baseline, 'proxy server sockets back to baseline');
  });

  test('a client that aborts closes the upstream socket; both sides return to the baseline', async (t) => {
    const up = await startEchoUpstream(t);
    const { port, server } = await startProxyServer(t, [route({}, up.port)]);
    const baseline = await connections(server);
    const socket = await openSocket(t, `ws://127.0.0.1:${port}/service-app-sess1_8080/`);
    assert.equal(await echo(socket, 'x'), 'x');
    assert.equal(await connections(up.server), 1);
    socket.terminate();
    await eventually(async () => (await connections(server)) === baseline, 'proxy server sockets back to baseline');
    await eventually(async () => (await connections(up.server)) === 0, 'upstream sockets closed');
  });

  test('a client that aborts during the upstream handshake leaves nothing open', async (t) => {
    // An upstream that reads the handshake but never answers it.
    const accepted: Socket[] = [];
    const silent = createNetServer((socket) => {
      accepted.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of accepted) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const silentPort = (silent.address() as { port: number }).port;
    const { port, server } = await startProxyServer(t, [route({}, silentPort)]);
    const raw = connect(port, '127.0.0.1');
    t.after(() => raw.destroy());
    raw.write(`GET /service-app-sess1_8080/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    await eventually(() => new Promise<boolean>((resolve) => silent.getConnections((_e, n) => resolve(n === 1))), 'the proxy reached the upstream');
    raw.destroy();
    await eventually(async () => (await connections(server)) === 0, 'proxy server sockets closed');
    await eventually(() => new Promise<boolean>((resolve) => silent.getConnections((_e, n) => resolve(n === 0))), 'upstream socket closed');
  });

  test('a refused upstream: 502 to the client and no socket left open', async (t) => {
    const up = await startEchoUpstream(t);
    const deadPort = up.port;
    up.server.closeAllConnections();
    up.server.close();
    await once(up.server, 'close');
    const { port, server } = await startProxyServer(t, [route({}, deadPort)]);
    const baseline = await connections(server);
    for (let i = 0; i < 5; i++) {
      const answer = await refusedStatus(`ws://127.0.0.1:${port}/service-app-sess1_8080/`, { headers: { Accept: 'application/json' } });
      assert.equal(answer.status, 502);
      assert.match((JSON.parse(answer.body) as { error: { message: string } }).error.message, /service "app" \(port 8080\) of session sess1 did not answer at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    }
    await eventually(async () => (await connections(server)) === baseline, 'proxy server sockets back to baseline');
  });
});
