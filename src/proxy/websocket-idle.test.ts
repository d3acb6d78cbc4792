// The one slow test (two minutes): in its own file so the runner runs it beside the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { route, startProxyServer } from './fixtures/http.ts';
import { echo, openSocket, startEchoUpstream } from './fixtures/ws.ts';

test('a WebSocket idle for two minutes still echoes (no proxy timeout cuts it)', { timeout: 180_000 }, async (t) => {
  const up = await startEchoUpstream(t);
  const { port } = await startProxyServer(t, [route({}, up.port)]);
  const socket = await openSocket(t, `ws://127.0.0.1:${port}/service-app-sess1_8080/`);
  assert.equal(await echo(socket, 'before'), 'before');
  let closed = false;
  socket.on('close', () => (closed = true));
  await sleep(120_000);
  assert.equal(closed, false);
  assert.equal(await echo(socket, 'after two idle minutes'), 'after two idle minutes');
});
