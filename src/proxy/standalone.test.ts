import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseStaticRoutes } from './standalone.ts';
import { ProxyError } from './errors.ts';
import { call, startUpstream } from './fixtures/http.ts';

const BERTH = fileURLToPath(new URL('../../bin/berth.mjs', import.meta.url));

describe('berth proxy: static routes', () => {
  test('PREFIX=URL becomes a ready, public route; --preserve keeps the prefix', () => {
    const routes = parseStaticRoutes(['/service-app-dev_8501=http://127.0.0.1:9001', 'pbp-service-nb-dev_8888/=http://localhost:9002/'], ['/pbp-service-nb-dev_8888']);
    assert.deepEqual(routes, [
      { basePath: '/service-app-dev_8501', stripPrefix: true, requiresAuthentication: false, sessionUuid: 'static', service: 'service-app-dev_8501', port: 8501, state: 'ready', target: { host: '127.0.0.1', port: 9001 } },
      { basePath: '/pbp-service-nb-dev_8888', stripPrefix: false, requiresAuthentication: false, sessionUuid: 'static', service: 'pbp-service-nb-dev_8888', port: 8888, state: 'ready', target: { host: 'localhost', port: 9002 } },
    ]);
  });

  test('bad arguments are rejected with the argument and the fix in the message', () => {
    const cases: [string[], string[], RegExp][] = [
      [['/service-a_1'], [], /--route \/service-a_1: expected PREFIX=URL/],
      [['/app=http://127.0.0.1:1'], [], /"\/app" is not a single \/service-… or \/pbp-service-… path segment/],
      [['/service-a_1=127.0.0.1:1'], [], /"127.0.0.1:1" has no scheme: write http:\/\/127.0.0.1:1/],
      [['/service-a_1=https://127.0.0.1:1'], [], /only http:\/\/ upstreams are supported, not https:/],
      [['/service-a_1=http://[::1'], [], /"http:\/\/\[::1" is not a URL/],
      [['/service-a_1=http://127.0.0.1:1/sub'], [], /the upstream URL cannot have a path or query/],
      [['/service-a_1=http://127.0.0.1:1'], ['/service-b_1'], /--preserve \/service-b_1: no --route has that prefix/],
    ];
    for (const [routes, preserve, message] of cases) {
      assert.throws(
        () => parseStaticRoutes(routes, preserve),
        (error: unknown) => error instanceof ProxyError && error.code === 'BERTH_PROXY_ROUTE_INVALID' && message.test(error.message) && Boolean(error.hint),
        `${routes.join(' ')} ${preserve.join(' ')}`,
      );
    }
  });
});

describe('berth proxy: the command', () => {
  test('serves its routes until SIGTERM', { timeout: 60_000 }, async (t) => {
    const up = await startUpstream(t);
    const child = spawn(process.execPath, [BERTH, 'proxy', '--port', '0', '--route', `/service-app-dev_8501=http://127.0.0.1:${up.port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    t.after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.setEncoding('utf8');
    let base: string | undefined;
    for await (const chunk of child.stdout) {
      output += chunk as string;
      base = /berth proxy listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (base && output.includes('prefix stripped')) break;
    }
    assert.ok(base, `no address printed: ${output}`);
    assert.match(output, new RegExp(`${base}/service-app-dev_8501/ -> http://127\\.0\\.0\\.1:${up.port} \\(prefix stripped\\)`));
    const answer = await call(`${base}/service-app-dev_8501/hello?x=1`);
    assert.equal(answer.body, 'upstream ok');
    assert.equal(up.seen[0]?.url, '/hello?x=1');
    const other = await call(`${base}/api/health`);
    assert.equal(other.status, 404);
    assert.match(other.body, /not a service path: \/api\/health/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  test('a bad --route exits with the error code, message and hint', { timeout: 60_000 }, () => {
    const result = spawnSync(process.execPath, [BERTH, 'proxy', '--port', '0', '--route', '/app=http://127.0.0.1:1'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(result.status, 3);
    assert.match(result.stderr, /error \[BERTH_PROXY_ROUTE_INVALID\] --route \/app=http:\/\/127\.0\.0\.1:1: "\/app" is not a single/);
    assert.match(result.stderr, /hint: write --route PREFIX=URL/);
  });
});
