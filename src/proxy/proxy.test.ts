import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { call, route, startProxyServer, startUpstream } from './fixtures/http.ts';

describe('proxy: forwarding', () => {
  test('strips the prefix: the upstream sees the rest of the path and the query as sent', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const answer = await call(`${base}/service-app-sess1_8080/a/b%20c?x=1&y=%2F`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'upstream ok');
    assert.equal(answer.headers['x-upstream'], 'yes');
    assert.equal(up.seen[0]?.url, '/a/b%20c?x=1&y=%2F');
    await call(`${base}/service-app-sess1_8080/`);
    assert.equal(up.seen[1]?.url, '/');
    const head = await call(`${base}/service-app-sess1_8080/file`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(up.seen[2]?.method, 'HEAD');
  });

  test('preserves the prefix for preserve_base_path routes', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({ stripPrefix: false }, up.port)]);
    const answer = await call(`${base}/pbp-service-app-sess1_8080/static/app.js?v=2`);
    assert.equal(answer.status, 200);
    assert.equal(up.seen[0]?.url, '/pbp-service-app-sess1_8080/static/app.js?v=2');
    assert.equal(up.seen[0]?.headers['x-forwarded-prefix'], undefined);
  });

  test('leaves every other path to the server', async (t) => {
    const { base } = await startProxyServer(t, []);
    for (const path of ['/api/health', '/login', '/services', '/service-']) {
      assert.equal((await call(`${base}${path}`)).body, 'not the proxy', path);
    }
  });

  test('streams request bodies of known and unknown length', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    await call(`${base}/service-app-sess1_8080/upload`, { method: 'POST', body: 'with length', headers: { 'Content-Length': '11' } });
    assert.equal(up.seen[0]?.body, 'with length');
    await call(`${base}/service-app-sess1_8080/upload`, { method: 'PUT', body: 'chunked body', headers: { 'Transfer-Encoding': 'chunked' } });
    assert.equal(up.seen[1]?.body, 'chunked body');
    // Framing is re-done on the upstream connection: either chunked or an exact length, never both.
    const framing = up.seen[1]!.headers;
    assert.ok((framing['transfer-encoding'] === 'chunked') !== (framing['content-length'] === '12'), JSON.stringify(framing));
  });

  test('streams the response: the first chunk arrives before the upstream has finished', async (t) => {
    let finish: () => void = () => undefined;
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first chunk;');
      finish = () => res.end('last chunk');
    });
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const req = request(`${base}/service-app-sess1_8080/stream`, { agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.setEncoding('utf8');
    const [first] = (await once(res, 'data')) as [string];
    // The upstream ends only after the client has seen the first chunk: nothing was buffered.
    assert.equal(first, 'first chunk;');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    let rest = '';
    res.on('data', (chunk: string) => (rest += chunk));
    finish();
    await once(res, 'end');
    assert.equal(rest, 'last chunk');
  });

  test('a client that goes away makes the proxy drop the upstream request', async (t) => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200);
      res.write('partial');
      upstreamClosed = once(res, 'close');
      arrived();
    });
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const req = request(`${base}/service-app-sess1_8080/long-poll`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await once(req, 'response');
    await arrival;
    req.destroy();
    await upstreamClosed;
    assert.equal(up.seen.length, 1);
  });

  test('an upstream that dies mid-response gives the client a broken response, not a complete one', async (t) => {
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('only part');
      setImmediate(() => res.socket?.destroy());
    });
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    await assert.rejects(call(`${base}/service-app-sess1_8080/`), /aborted|socket hang up|ECONNRESET/);
  });
});

describe('proxy: headers', () => {
  test('adds X-Forwarded-*, keeps Host as the client sent it, and replaces spoofed forwarded values', async (t) => {
    const up = await startUpstream(t);
    const { base, port } = await startProxyServer(t, [route({}, up.port)]);
    await call(`${base}/service-app-sess1_8080/`, {
      headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Prefix': '/evil', 'X-Forwarded-Host': 'evil.example' },
    });
    const h = up.seen[0]!.headers;
    assert.equal(h.host, `127.0.0.1:${port}`);
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], `127.0.0.1:${port}`);
    assert.equal(h['x-forwarded-prefix'], '/service-app-sess1_8080');
  });

  test('behind a trusted TLS-terminating proxy, its X-Forwarded-Proto and -Host reach the service', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({}, up.port)], { trustForwardedHeaders: true });
    await call(`${base}/service-app-sess1_8080/`, { headers: { 'X-Forwarded-Proto': 'https, http', 'X-Forwarded-Host': 'berth.example.com' } });
    await call(`${base}/service-app-sess1_8080/`);
    const [behind, direct] = up.seen.map((s) => s.headers);
    assert.equal(behind?.['x-forwarded-proto'], 'https');
    assert.equal(behind?.['x-forwarded-host'], 'berth.example.com');
    assert.equal(direct?.['x-forwarded-proto'], 'http', 'without the headers, this hop\'s own values');
    assert.match(String(direct?.['x-forwarded-host']), /^127\.0\.0\.1:\d+$/);
  });

  test('removes hop-by-hop headers both ways, including those named in Connection', async (t) => {
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { Connection: 'X-Resp-Hop', 'X-Resp-Hop': '1', 'Proxy-Authenticate': 'Basic', 'X-Kept': 'yes' });
      res.end('ok');
    });
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const answer = await call(`${base}/service-app-sess1_8080/`, {
      headers: { Connection: 'keep-alive, X-Req-Hop', 'X-Req-Hop': '1', 'Keep-Alive': 'timeout=5', 'Proxy-Authorization': 'Basic x', TE: 'trailers', 'X-Kept': 'yes' },
    });
    const h = up.seen[0]!.headers;
    for (const name of ['x-req-hop', 'keep-alive', 'proxy-authorization', 'te']) assert.equal(h[name], undefined, name);
    assert.equal(h['x-kept'], 'yes');
    assert.equal(answer.headers['x-resp-hop'], undefined);
    assert.equal(answer.headers['proxy-authenticate'], undefined);
    assert.equal(answer.headers['x-kept'], 'yes');
  });

  test('keeps repeated headers repeated (Set-Cookie)', async (t) => {
    const up = await startUpstream(t, (_req, res) => {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.end();
    });
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const answer = await call(`${base}/service-app-sess1_8080/`);
    assert.deepEqual(answer.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
  });

  test('moves an upstream redirect to /path under the stripped prefix, and leaves preserved routes alone', async (t) => {
    const up = await startUpstream(t, (req, res) => {
      res.writeHead(302, { Location: req.url?.includes('abs') ? `http://${req.headers.host}/login?next=%2F` : '/login' });
      res.end();
    });
    const { base, port } = await startProxyServer(t, [route({}, up.port), route({ stripPrefix: false }, up.port)]);
    assert.equal((await call(`${base}/service-app-sess1_8080/`)).headers.location, '/service-app-sess1_8080/login');
    assert.equal((await call(`${base}/service-app-sess1_8080/abs`)).headers.location, `http://127.0.0.1:${port}/service-app-sess1_8080/login?next=%2F`);
    assert.equal((await call(`${base}/pbp-service-app-sess1_8080/`)).headers.location, '/login');
  });
});

describe('proxy: its own answers', () => {
  test('redirects the bare prefix to prefix/ keeping the query: 302 for GET and HEAD, 308 otherwise', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const get = await call(`${base}/service-app-sess1_8080?token=abc`);
    assert.equal(get.status, 302);
    assert.equal(get.headers.location, '/service-app-sess1_8080/?token=abc');
    assert.equal((await call(`${base}/service-app-sess1_8080`, { method: 'HEAD' })).status, 302);
    const post = await call(`${base}/service-app-sess1_8080`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 308);
    assert.equal(post.headers.location, '/service-app-sess1_8080/');
    assert.equal(up.seen.length, 0);
  });

  test('unknown service: a 404 page listing the running services, JSON for API clients', async (t) => {
    const { base } = await startProxyServer(t, [route({ service: 'streamlit', basePath: '/pbp-service-streamlit-sess1_8501', port: 8501, stripPrefix: false, target: { host: '127.0.0.1', port: 1 } })]);
    const html = await call(`${base}/service-gone-sess1_80/x?y=1`, { headers: { Accept: 'text/html' } });
    assert.equal(html.status, 404);
    assert.match(html.headers['content-type'] ?? '', /text\/html/);
    assert.match(html.body, /no running service answers at \/service-gone-sess1_80\/x/);
    assert.match(html.body, /<a href="\/pbp-service-streamlit-sess1_8501\/">/);
    const json = await call(`${base}/service-gone-sess1_80/`, { headers: { Accept: 'application/json' } });
    assert.equal(json.status, 404);
    const { error } = JSON.parse(json.body) as { error: { code: string; message: string; details: { services: { url: string; service: string }[] } } };
    assert.equal(error.code, 'BERTH_PROXY_NOT_FOUND');
    assert.deepEqual(error.details.services.map((s) => [s.service, s.url]), [['streamlit', '/pbp-service-streamlit-sess1_8501/']]);
  });

  test('the 404 page lists login-protected services only to clients that are logged in', async (t) => {
    const { base } = await startProxyServer(t, [route({ requiresAuthentication: true, target: { host: '127.0.0.1', port: 1 } })], {
      authorize: (req) => (req.headers.cookie === 'ok' ? 'allow' : 'unauthenticated'),
    });
    const anonymous = await call(`${base}/service-x-y_1/`, { headers: { Accept: 'application/json' } });
    assert.deepEqual((JSON.parse(anonymous.body) as { error: { details: { services: unknown[] } } }).error.details.services, []);
    const loggedIn = await call(`${base}/service-x-y_1/`, { headers: { Accept: 'application/json', Cookie: 'ok' } });
    assert.equal((JSON.parse(loggedIn.body) as { error: { details: { services: unknown[] } } }).error.details.services.length, 1);
  });

  test('a starting service: 503 with Retry-After and a page that reloads itself', async (t) => {
    const { base } = await startProxyServer(t, [route({ state: 'starting' })]);
    const answer = await call(`${base}/service-app-sess1_8080/`, { headers: { Accept: 'text/html' } });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '2');
    assert.match(answer.body, /<meta http-equiv="refresh" content="2">/);
    assert.match(answer.body, /service &#34;app&#34; \(port 8080\) of session sess1 is starting/);
  });

  test('a failed service: 502 with the reason', async (t) => {
    const { base } = await startProxyServer(t, [route({ state: 'failed', reason: 'exited with code 1: ModuleNotFoundError: No module named streamlit' })]);
    const answer = await call(`${base}/service-app-sess1_8080/`, { headers: { Accept: 'application/json' } });
    assert.equal(answer.status, 502);
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
    assert.equal(error.code, 'BERTH_PROXY_SERVICE_FAILED');
    assert.equal(error.message, 'service "app" (port 8080) of session sess1 failed: exited with code 1: ModuleNotFoundError: No module named streamlit');
  });

  test('an upstream that refuses connections: 502 naming the service, its port and address', async (t) => {
    const up = await startUpstream(t);
    up.server.close();
    await once(up.server, 'close');
    const { base } = await startProxyServer(t, [route({}, up.port)]);
    const answer = await call(`${base}/service-app-sess1_8080/`, { headers: { Accept: 'text/html' } });
    assert.equal(answer.status, 502);
    assert.match(answer.body, new RegExp(`service &#34;app&#34; \\(port 8080\\) of session sess1 did not answer at 127\\.0\\.0\\.1:${up.port} \\(ECONNREFUSED\\)`));
 
    // A request with a body gets the same answer (the failed upstream request must not take the client's socket down).
    const post = await call(`${base}/service-app-sess1_8080/upload`, { method: 'POST', body: 'data', headers: { Accept: 'application/json', 'Content-Length': '4' } });
    assert.equal(post.status, 502);
    assert.equal((JSON.parse(post.body) as { error: { code: string } }).error.code, 'BERTH_PROXY_UPSTREAM_UNREACHABLE');
  });
});

describe('proxy: authentication', () => {
  const authorize = (req: IncomingMessage) => (req.headers.cookie === 'berth=ok' ? 'allow' : 'unauthenticated') as 'allow' | 'unauthenticated';

  test('browsers are sent to the login page with the original URL as next', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({ requiresAuthentication: true }, up.port)], { authorize });
    const answer = await call(`${base}/service-app-sess1_8080/tree?a=1&b=2`, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.location, '/login?next=%2Fservice-app-sess1_8080%2Ftree%3Fa%3D1%26b%3D2');
    assert.equal(up.seen.length, 0);
  });

  test('API clients and non-GET requests get 401 JSON; a custom login path is named in the hint', async (t) => {
    const up = await startUpstream(t);
    const { base } = await startProxyServer(t, [route({ requiresAuthentication: true }, up.port)], { authorize, loginPath: '/auth/login' });
    for (const options of [{ headers: { Accept: 'application/json' } }, { method: 'POST', headers: { Accept: 'text/html' }, body: 'x' }]) {
      const answer = await call(`${base}/service-app-sess1_8080/api/contents`, options);
      assert.equal(answer.status, 401);
      const { error } = JSON.parse(answer.body) as { error: { code: string; message: string; hint: string } };
      assert.equal(error.code, 'BERTH_PROXY_UNAUTHENTICATED');
      assert.equal(error.message, 'service "app" (port 8080) of session sess1 requires a login');
      assert.match(error.hint, /log in at \/auth\/login/);
    }
    assert.equal(up.seen.length, 0);
  });

  test('logged-in clients pass, and public services never ask', async (t) => {
    const up = await startUpstream(t);
    let asked = 0;
    const { base } = await startProxyServer(t, [route({ requiresAuthentication: true }, up.port), route({ port: 9000 }, up.port)], {
      authorize: (req) => {
        asked++;
        return authorize(req);
      },
    });
    assert.equal((await call(`${base}/service-app-sess1_8080/`, { headers: { Cookie: 'berth=ok' } })).status, 200);
    assert.equal(asked, 1);
    assert.equal((await call(`${base}/service-app-sess1_9000/`)).status, 200);
    assert.equal(asked, 1);
  });

  test('an authorize function that throws locks the service (and is reported)', async (t) => {
    const up = await startUpstream(t);
    const errors: unknown[] = [];
    const { base } = await startProxyServer(t, [route({ requiresAuthentication: true }, up.port)], {
      authorize: () => {
        throw new Error('db locked');
      },
      onError: (error) => errors.push(error),
    });
    assert.equal((await call(`${base}/service-app-sess1_8080/`, { headers: { Accept: 'application/json' } })).status, 401);
    assert.match(String(errors[0]), /db locked/);
  });
});
