// Issue 18, point 2: every exposed service port on its own origin (<port>-<name>.<sid>.localhost),
// reached from the path URLs through a one-time login hand-shake. Node cannot resolve *.localhost,
// so these requests go to 127.0.0.1 with the service host in the Host header.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { startTestServer } from '../support/berth.ts';
import type { BerthServer } from '../../src/server/index.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request to the server's port with the given Host (and other) headers, redirects not followed. */
async function ask(server: BerthServer, host: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { port } = new URL(server.url);
  const req = request({ host: '127.0.0.1', port: Number(port), path, method, headers: { host, ...headers } });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** An upstream that answers with what it saw: path, Host and the credentials it was given. */
async function echoUpstream(t: { after: (fn: () => Promise<void>) => void }): Promise<number> {
  const upstream = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', ['berth_service=planted; Path=/', 'app=kept; Path=/']);
    res.end(JSON.stringify({ url: req.url, host: req.headers.host, cookie: req.headers.cookie ?? null, authorization: req.headers.authorization ?? null, prefix: req.headers['x-forwarded-prefix'] ?? null }));
  });
  upstream.on('upgrade', (_req, socket: Duplex) => {
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  return (upstream.address() as AddressInfo).port;
}

function addRoute(server: BerthServer, upstreamPort: number, fields: { service: string; port: number; pbp?: boolean; public?: boolean }): string {
  const basePath = `/${fields.pbp ? 'pbp-' : ''}service-${fields.service}-s1_${fields.port}`;
  server.routes.set({
    basePath,
    stripPrefix: !fields.pbp,
    requiresAuthentication: !fields.public,
    sessionUuid: 's1',
    service: fields.service,
    port: fields.port,
    state: 'ready',
    target: { host: '127.0.0.1', port: upstreamPort },
  });
  return basePath;
}

async function signIn(server: BerthServer, token: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  assert.equal(answer.status, 200);
  const cookie = answer.headers.getSetCookie()[0]!.split(';')[0]!;
  return { cookie, csrf: ((await answer.json()) as { csrfToken: string }).csrfToken };
}

const HTML = { accept: 'text/html' };

describe('services on their own origin', () => {
  test('a path URL leads a signed-in browser through the hand-shake to the service host, which serves only that service', async (t) => {
    const { server, token } = await startTestServer(t);
    assert.deepEqual(server.serviceDomain, { mode: 'origins', domain: 'localhost', berthHost: '127.0.0.1' });
    const berthHost = new URL(server.url).host;
    const port = new URL(server.url).port;
    const basePath = addRoute(server, await echoUpstream(t), { service: 'app', port: 7111 });
    const serviceHost = `7111-app.s1.localhost:${port}`;
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { serviceDomain: string | null };
    assert.equal(health.serviceDomain, 'localhost', 'the UI learns where services live');

    // Not signed in: the path URL still sends the browser to sign in first, and API clients get 401.
    const anonymous = await ask(server, berthHost, `${basePath}/a?b=1`, HTML);
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(`${basePath}/a?b=1`)}`);

    const { cookie, csrf } = await signIn(server, token);
    const entry = await ask(server, berthHost, `${basePath}/a?b=1`, { ...HTML, cookie });
    assert.equal(entry.status, 302, 'a browser is never served a service page on Berth\'s origin');
    const handshake = new URL(entry.headers.location!);
    assert.equal(handshake.host, serviceHost);
    assert.equal(handshake.pathname, '/__berth/handshake');
    assert.equal(handshake.searchParams.get('next'), '/a?b=1');

    // The code is bound to its host: another service host cannot redeem it.
    addRoute(server, 9, { service: 'other', port: 7112 });
    const elsewhere = await ask(server, `7112-other.s1.localhost:${port}`, `${handshake.pathname}${handshake.search}`, HTML);
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.body, /BERTH_PROXY_HANDSHAKE_INVALID/);
    // Tried once on the wrong host, the code is used up: a fresh one is redeemed on the right host.
    const fresh = new URL((await ask(server, berthHost, `${basePath}/a?b=1`, { ...HTML, cookie })).headers.location!);
    const redeemed = await ask(server, serviceHost, `${fresh.pathname}${fresh.search}`, HTML);
    assert.equal(redeemed.status, 302);
    assert.equal(redeemed.headers.location, '/a?b=1');
    const grantCookie = String(redeemed.headers['set-cookie']);
    assert.match(grantCookie, /^berth_service=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const grant = grantCookie.split(';')[0]!;
    const again = await ask(server, serviceHost, `${fresh.pathname}${fresh.search}`, HTML);
    assert.equal(again.status, 403, 'a code works once');

    // On its host the service sees its own root, no Berth cookie, and its own cookies kept.
    const served = await ask(server, serviceHost, '/a?b=1', { cookie: `${grant}; ${cookie}; theme=dark` });
    assert.equal(served.status, 200);
    assert.deepEqual(JSON.parse(served.body), { url: '/a?b=1', host: serviceHost, cookie: 'theme=dark', authorization: null, prefix: null });
    assert.deepEqual(served.headers['set-cookie'], ['app=kept; Path=/'], 'a service cannot replace its host\'s grant cookie');
    // Every path of a service host is the service's, /api and /login included.
    const api = await ask(server, serviceHost, '/api/auth/me', { cookie: grant });
    assert.equal(JSON.parse(api.body).url, '/api/auth/me');
    // Berth's own cookie means nothing on a service host.
    const withSession = await ask(server, serviceHost, '/api/auth/me', { cookie, accept: 'application/json' });
    assert.equal(withSession.status, 401);
    const bounced = await ask(server, serviceHost, '/x', HTML);
    assert.equal(bounced.status, 302);
    assert.equal(bounced.headers.location, `${server.url}${basePath}/x`, 'without its cookie a service host sends the browser back to the path URL');

    // Berth's own answers give a service origin no CORS allowance, preflight or not.
    const serviceOrigin = `http://${serviceHost}`;
    const preflight = await ask(server, berthHost, '/api/auth/me', { origin: serviceOrigin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-berth-csrf' }, 'OPTIONS');
    const read = await ask(server, berthHost, '/api/auth/me', { origin: serviceOrigin, cookie });
    for (const answer of [preflight, read]) {
      assert.equal(answer.headers['access-control-allow-origin'], undefined);
      assert.equal(answer.headers['access-control-allow-credentials'], undefined);
    }

    // Signing out ends the service host's access too.
    const out = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-berth-csrf': csrf } });
    assert.equal(out.status, 200);
    const after = await ask(server, serviceHost, '/a', { cookie: grant, accept: 'application/json' });
    assert.equal(after.status, 401);
  });

  test('API clients with a Bearer token keep the path URL; public services need no hand-shake; pbp keeps its prefix', async (t) => {
    const { server, token } = await startTestServer(t);
    const berthHost = new URL(server.url).host;
    const port = new URL(server.url).port;
    const upstreamPort = await echoUpstream(t);
    const basePath = addRoute(server, upstreamPort, { service: 'app', port: 7111 });
    const bearer = await ask(server, berthHost, `${basePath}/a`, { authorization: `Bearer ${token}` });
    assert.equal(bearer.status, 200);
    assert.deepEqual(JSON.parse(bearer.body), { url: '/a', host: berthHost, cookie: null, authorization: null, prefix: basePath });
    // A Bearer token works on the service host as well (it carries no ambient authority).
    assert.equal((await ask(server, `7111-app.s1.localhost:${port}`, '/a', { authorization: `Bearer ${token}` })).status, 200);

    const pub = addRoute(server, upstreamPort, { service: 'pub', port: 8080, public: true });
    const entry = await ask(server, berthHost, `${pub}/?x=1`, HTML);
    assert.equal(entry.status, 302);
    assert.equal(entry.headers.location, `http://8080-pub.s1.localhost:${port}/?x=1`);
    assert.equal((await ask(server, `8080-pub.s1.localhost:${port}`, '/?x=1')).status, 200);
    const post = await ask(server, berthHost, `${pub}/form`, { 'content-length': '0' }, 'POST');
    assert.equal(post.status, 307, 'a form post keeps its method on the way to the service origin');
    assert.equal(post.headers.location, `http://8080-pub.s1.localhost:${port}/form`);

    const pbp = addRoute(server, upstreamPort, { service: 'nb', port: 8888, pbp: true, public: true });
    const pbpEntry = await ask(server, berthHost, `${pbp}/tree`, HTML);
    assert.equal(pbpEntry.headers.location, `http://8888-nb.s1.localhost:${port}${pbp}/tree`);
    const pbpServed = JSON.parse((await ask(server, `8888-nb.s1.localhost:${port}`, `${pbp}/tree`)).body) as { url: string };
    assert.equal(pbpServed.url, `${pbp}/tree`);
  });

  test('service hosts are parsed strictly, unknown ones are 404, and WebSockets work on them', async (t) => {
    const { server } = await startTestServer(t);
    const port = new URL(server.url).port;
    addRoute(server, await echoUpstream(t), { service: 'pub', port: 7111, public: true });
    assert.equal((await ask(server, `7111-PUB.S1.LocalHost.:${port}`, '/')).status, 200, 'case and a trailing dot do not matter');
    for (const host of [`7112-pub.s1.localhost:${port}`, `x.localhost:${port}`, `a.7111-pub.s1.localhost:${port}`, `7111-pub.s1.localhost:x`, `7111_pub.s1.localhost`]) {
      const answer = await ask(server, host, '/api/health', { accept: 'application/json' });
      assert.equal(answer.status, 404, host);
      assert.match(answer.body, /BERTH_PROXY_NOT_FOUND/, host);
    }
    const { port: serverPort } = new URL(server.url);
    const req = request({
      host: '127.0.0.1',
      port: Number(serverPort),
      path: '/ws',
      headers: { host: `7111-pub.s1.localhost:${port}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.end();
    const [res, socket] = (await once(req, 'upgrade')) as [IncomingMessage, Duplex];
    socket.destroy();
    assert.equal(res.statusCode, 101);
  });

  test('--service-domain off keeps services on the path URLs of Berth\'s origin', async (t) => {
    const { server } = await startTestServer(t, { serviceDomain: 'off' });
    assert.equal(server.serviceDomain.mode, 'off');
    const basePath = addRoute(server, await echoUpstream(t), { service: 'pub', port: 7111, public: true });
    const answer = await ask(server, new URL(server.url).host, `${basePath}/a`, HTML);
    assert.equal(answer.status, 200);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { serviceDomain: string | null };
    assert.equal(health.serviceDomain, null);
  });
});
