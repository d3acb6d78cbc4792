// The HTTP surface of `berth serve` (issue 18, points 3 and 5): framework errors with their own
// codes, strict ids, invalid request targets, a body deadline for anonymous requests, framing
// protection, X-Forwarded-Proto only behind --trust-proxy, and one bad pipeline file that breaks
// nothing else.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, tempDir, writePipeline } from '../support/berth.ts';

/** Sends raw bytes and reads until the server closes. */
async function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.end(request);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  await once(socket, 'close');
  return answer;
}

/** Sends a request without closing our side (an upgrade would count that as the client leaving) and reads the response head. */
async function responseHead(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(request);
  let answer = '';
  socket.setEncoding('utf8');
  await new Promise<void>((resolveHead) => {
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n\r\n')) resolveHead();
    });
    socket.on('close', () => resolveHead());
  });
  socket.destroy();
  return answer;
}

describe('server hardening', () => {
  test('413 and 415 carry their own codes, not BERTH_INTERNAL', async (t) => {
    const { server, token } = await startTestServer(t);
    const auth = { authorization: `Bearer ${token}` };
    const large = await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'x'.repeat(2 * 1024 * 1024) }),
    });
    assert.equal(large.status, 413);
    assert.equal(((await large.json()) as { error: { code: string } }).error.code, 'BERTH_API_BODY_TOO_LARGE');
    const media = await fetch(`${server.url}/api/projects`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-yaml' }, body: 'path: /x' });
    assert.equal(media.status, 415);
    assert.equal(((await media.json()) as { error: { code: string } }).error.code, 'BERTH_API_MEDIA_TYPE_UNSUPPORTED');
  });

  test('ids are parsed strictly: DELETE /api/auth/tokens/0x2 is 400 and revokes nothing', async (t) => {
    const { server, token } = await startTestServer(t);
    const auth = { authorization: `Bearer ${token}` };
    const before = ((await (await fetch(`${server.url}/api/auth/tokens`, { headers: auth })).json()) as { tokens: unknown[] }).tokens.length;
    for (const id of ['0x2', '2e0', '02', '1.0', '-1']) {
      const answer = await fetch(`${server.url}/api/auth/tokens/${id}`, { method: 'DELETE', headers: auth });
      assert.equal(answer.status, 400, id);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'BERTH_AUTH_BAD_ID', id);
    }
    const after = ((await (await fetch(`${server.url}/api/auth/tokens`, { headers: auth })).json()) as { tokens: unknown[] }).tokens.length;
    assert.equal(after, before);
    // Build numbers and ?tail= the same way.
    const project = await tempDir(t);
    await writePipeline(project, 'main.orchest', { name: 'main', services: {} });
    await server.projects.add(project, 'ids');
    const build = await fetch(`${server.url}/api/projects/ids/environments/e1/builds/0x1`, { headers: auth });
    assert.equal(build.status, 400);
    assert.equal(((await build.json()) as { error: { code: string } }).error.code, 'BERTH_API_BAD_NUMBER');
    const tail = await fetch(`${server.url}/api/runs/r1/steps/s1/logs?tail=0x10`, { headers: auth });
    assert.equal(tail.status, 400);
    assert.equal(((await tail.json()) as { error: { code: string } }).error.code, 'BERTH_API_BAD_NUMBER');
  });

  test('a request target with "#" is answered 400 by the proxy, not 502', async (t) => {
    const { server } = await startTestServer(t);
    server.routes.set({
      basePath: '/service-app-s1_8080',
      stripPrefix: true,
      requiresAuthentication: false,
      sessionUuid: 's1',
      service: 'app',
      port: 8080,
      state: 'ready',
      target: { host: '127.0.0.1', port: 9 },
    });
    const answer = await rawExchange(server.url, 'GET /service-app-s1_8080/a#b HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /BERTH_PROXY_BAD_TARGET/);
  });

  test('targets no route can mean are 400 on the API side too, in Berth\'s error shape', async (t) => {
    const { server } = await startTestServer(t);
    const fragment = await rawExchange(server.url, 'GET /#x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(fragment, /^HTTP\/1\.1 400 /);
    assert.match(fragment, /BERTH_API_BAD_TARGET/);
    const escape = await rawExchange(server.url, 'GET /ui/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(escape, /^HTTP\/1\.1 400 /);
    assert.match(escape, /"code":"BERTH_API_BAD_REQUEST"/);
  });

  // The fallback where services share Berth's origin (--service-domain off); test/security/origins.test.ts covers the default.
  test("with --service-domain off a service cannot set Berth's cookies, and malformed Bearer headers with a Berth token never reach it", async (t) => {
    const { server, token } = await startTestServer(t, { serviceDomain: 'off' });
    const seen: Array<string | undefined> = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('set-cookie', ['berth_session=planted; Path=/', '__Host-berth_csrf=x; Path=/; Secure', 'Berth_Other=1', 'app=kept; Path=/']);
      res.end('ok');
    });
    upstream.on('upgrade', (_req, socket: Duplex) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: berth_session=planted; Path=/\r\nSet-Cookie: app=ws\r\n\r\n');
      socket.end();
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    t.after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    server.routes.set({
      basePath: '/service-pub-s1_7111',
      stripPrefix: true,
      requiresAuthentication: false,
      sessionUuid: 's1',
      service: 'pub',
      port: 7111,
      state: 'ready',
      target: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
    });
    const answer = await fetch(`${server.url}/service-pub-s1_7111/evil.html`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.headers.getSetCookie(), ['app=kept; Path=/']);
    // A WebSocket handshake's 101 may carry cookies too (browsers store them).
    const handshake = await responseHead(
      server.url,
      'GET /service-pub-s1_7111/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.match(handshake, /^HTTP\/1\.1 101 /);
    assert.match(handshake, /Set-Cookie: app=ws/);
    assert.doesNotMatch(handshake, /berth_session/);
    const variants = [`Bearer\t${token}`, `Bearer ${token},x`, `bearer  ${token} extra`, `Bearer ${token}`];
    for (const authorization of variants) {
      const through = await fetch(`${server.url}/service-pub-s1_7111/`, { headers: { authorization } });
      assert.equal(through.status, 200, authorization);
    }
    assert.deepEqual(seen.slice(1), [undefined, undefined, undefined, undefined]);
    // Not accepted as credentials by Berth either.
    for (const authorization of variants.slice(0, 3)) {
      const api = await fetch(`${server.url}/api/projects`, { headers: { authorization } });
      assert.equal(api.status, 401, authorization);
    }
    // A service's own, well-formed bearer token still reaches it.
    await fetch(`${server.url}/service-pub-s1_7111/`, { headers: { authorization: 'Bearer service-own-token' } });
    assert.equal(seen.at(-1), 'Bearer service-own-token');
  });

  test('a slow body on POST /api/auth/login is cut at the configured deadline', async (t) => {
    const { server } = await startTestServer(t, { bodyTimeoutMs: 1500 });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    const body = '{"token":"aaaaaaaaaaaaaaaa"}';
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    let sent = 0;
    const drip = setInterval(() => {
      if (socket.destroyed || sent >= body.length) return;
      socket.write(body[sent++]!);
    }, 1000);
    t.after(() => clearInterval(drip));
    await once(socket, 'close');
    clearInterval(drip);
    t.diagnostic(`closed after ${sent} of ${body.length} body bytes (1 byte/s, 1.5 s deadline)`);
    assert.ok(sent < body.length, 'the server waited for the whole dribbled body');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /BERTH_API_BODY_TIMEOUT/);
  });

  test("Berth's own pages and API answers refuse framing", async (t) => {
    const { server } = await startTestServer(t);
    for (const path of ['/', '/api/health', '/login']) {
      const answer = await fetch(`${server.url}${path}`);
      assert.equal(answer.headers.get('x-frame-options'), 'DENY', path);
      assert.match(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
    }
  });

  test("a client's X-Forwarded-Proto: https makes the cookie Secure only with --trust-proxy", async (t) => {
    for (const trustProxy of [false, true]) {
      const { server, token } = await startTestServer(t, { trustProxy });
      const answer = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ token }),
      });
      assert.equal(answer.status, 200);
      const cookie = answer.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^berth_session=/);
      assert.equal(/;\s*Secure/i.test(cookie), trustProxy, `trustProxy=${trustProxy}: ${cookie}`);
    }
  });

  test("one bad file is reported on its own; the project's other pipelines still list and start", async (t) => {
    const { server, token } = await startTestServer(t);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const dir = await tempDir(t);
    await writePipeline(dir, 'good.orchest', { name: 'good', services: {} });
    await writeFile(join(dir, 'deep.orchest'), `{"uuid":"d","name":"deep","version":"1.2.3","steps":{},"settings":{"x":${'['.repeat(3000)}${']'.repeat(3000)}}}`);
    await mkdir(join(dir, 'folder.orchest'));
    await writeFile(join(dir, 'unreadable.orchest'), '{}', { mode: 0o000 });
    const added = await fetch(`${server.url}/api/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ path: dir, name: 'mixed' }) });
    assert.equal(added.status, 201);
    const listed = await fetch(`${server.url}/api/projects/mixed/pipelines`, { headers: auth });
    assert.equal(listed.status, 200);
    const text = await listed.text();
    assert.match(text, /good\.orchest/);
    assert.match(text, /BERTH_SPEC_TOO_DEEP/);
    const started = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ project: 'mixed', pipeline: 'good' }) });
    assert.ok(started.status < 300, `${started.status} ${await started.clone().text()}`);
  });

  test('system directories and the data directory cannot become projects; --project-root narrows further', async (t) => {
    const allowed = await tempDir(t);
    const { server, token, dataDir } = await startTestServer(t, { projectRoots: [allowed] });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const outside = await tempDir(t);
    const inside = join(allowed, 'p');
    await mkdir(inside);
    for (const [path, status] of [['/', 403], ['/etc', 403], ['/proc', 403], ['/usr/share', 403], [dataDir, 403], [outside, 403], [inside, 201]] as const) {
      const answer = await fetch(`${server.url}/api/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ path, name: `p${Math.random().toString(36).slice(2, 8)}` }) });
      const body = (await answer.json()) as { error?: { code: string } };
      assert.equal(answer.status, status, `${path}: ${JSON.stringify(body)}`);
      if (status === 403) assert.equal(body.error?.code, 'BERTH_API_PROJECT_PATH_FORBIDDEN', path);
    }
  });
});
