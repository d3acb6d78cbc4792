import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, isServicePath, type ProxyRoute } from './route-table.ts';
import { ProxyError } from './errors.ts';

function route(basePath: string, sessionUuid = 's1'): ProxyRoute {
  return { basePath, stripPrefix: true, requiresAuthentication: true, sessionUuid, service: 'app', port: 8080, state: 'ready', target: { host: '127.0.0.1', port: 1 } };
}

describe('RouteTable', () => {
  test('matches the bare prefix, sub-paths and queries, returning what follows the prefix', () => {
    const table = new RouteTable();
    table.set(route('/service-app-s1_8080'));
    assert.equal(table.match('/service-app-s1_8080')?.rest, '');
    assert.equal(table.match('/service-app-s1_8080/')?.rest, '/');
    assert.equal(table.match('/service-app-s1_8080/a/b?c=1')?.rest, '/a/b?c=1');
    assert.equal(table.match('/service-app-s1_8080?c=1')?.rest, '?c=1');
    assert.equal(table.match('/service-app-s1_8080/')?.route.basePath, '/service-app-s1_8080');
  });

  test('never matches a port that merely starts like another (Orchest matched _80 for _8080)', () => {
    const table = new RouteTable();
    table.set(route('/pbp-service-app-s1_80'));
    assert.equal(table.match('/pbp-service-app-s1_8080/'), undefined);
    assert.equal(table.match('/pbp-service-app-s1_80x'), undefined);
    assert.ok(table.match('/pbp-service-app-s1_80/x'));
    table.set(route('/pbp-service-app-s1_8080'));
    assert.equal(table.match('/pbp-service-app-s1_8080/')?.route.basePath, '/pbp-service-app-s1_8080');
  });

  test('strip and preserve routes of the same service are different routes', () => {
    const table = new RouteTable();
    table.set(route('/service-app-s1_8080'));
    assert.equal(table.match('/pbp-service-app-s1_8080/'), undefined);
  });

  test('remove, removeSession and list keep the table consistent', () => {
    const table = new RouteTable();
    table.set(route('/service-b-s1_1'));
    table.set(route('/service-a-s1_2'));
    table.set(route('/service-c-s2_3', 's2'));
    assert.deepEqual(
      table.list().map((r) => r.basePath),
      ['/service-a-s1_2', '/service-b-s1_1', '/service-c-s2_3'],
    );
    assert.equal(table.remove('/service-b-s1_1'), true);
    assert.equal(table.remove('/service-b-s1_1'), false);
    assert.equal(table.removeSession('s1'), 1);
    assert.equal(table.removeSession('s1'), 0);
    assert.deepEqual(table.list().map((r) => r.basePath), ['/service-c-s2_3']);
    // A base path moving to another session leaves no stale entry behind in the old one.
    table.set(route('/service-c-s2_3', 's3'));
    assert.equal(table.removeSession('s2'), 0);
    assert.equal(table.size, 1);
  });

  test('set replaces a route and keeps its own copy', () => {
    const table = new RouteTable();
    const r = route('/service-app-s1_8080');
    table.set(r);
    r.state = 'failed';
    assert.equal(table.get('/service-app-s1_8080')?.state, 'ready');
    table.set({ ...r, state: 'starting' });
    assert.equal(table.match('/service-app-s1_8080/')?.route.state, 'starting');
  });

  test('rejects base paths that are not one service segment, saying how to fix it', () => {
    const table = new RouteTable();
    for (const bad of ['service-app-s1_1', '/api/x', '/service-app-s1_1/x', '/service-', '/']) {
      assert.throws(
        () => table.set(route(bad)),
        (error: unknown) => {
          assert.ok(error instanceof ProxyError);
          assert.equal(error.code, 'BERTH_PROXY_ROUTE_INVALID');
          assert.match(error.message, /must be one path segment starting with \/service- or \/pbp-service-/);
          return true;
        },
      );
    }
  });

  test('isServicePath recognises only /service-… and /pbp-service-… first segments', () => {
    assert.equal(isServicePath('/service-x_1/a'), true);
    assert.equal(isServicePath('/pbp-service-x_1?a'), true);
    assert.equal(isServicePath('/services/x'), false);
    assert.equal(isServicePath('/api/service-x'), false);
    assert.equal(isServicePath('/login'), false);
    assert.equal(isServicePath('http://host/service-x_1'), false);
  });
});
