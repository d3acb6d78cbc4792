import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyHost, hostPortSuffix, normaliseServiceDomain, serviceHostKey } from './service-hosts.ts';

test('service hosts are recognised strictly: case, one trailing dot and a port allowed, exactly two labels', () => {
  const key = serviceHostKey({ port: 8080, service: 'web', sessionUuid: 'ab12-cd' });
  assert.equal(key, '8080-web.ab12-cd');
  for (const host of ['8080-web.ab12-cd.localhost', '8080-WEB.AB12-CD.LocalHost:8765', '8080-web.ab12-cd.localhost.:80']) {
    assert.deepEqual(classifyHost(host, 'localhost'), { kind: 'service', key }, host);
  }
  // Under the domain but not a service host: never Berth's own origin.
  for (const host of ['x.localhost', 'a.b.c.localhost', '-x.y.localhost', 'x_y.z.localhost', '8080-web.ab12-cd.localhost:port', 'a b.c.localhost', '8080-web.ab12-cd.localhost..']) {
    assert.deepEqual(classifyHost(host, 'localhost'), { kind: 'unknown' }, host);
  }
  // Berth's own origin.
  for (const host of [undefined, 'localhost', 'localhost:8765', '127.0.0.1:8765', '[::1]:8765', 'notlocalhost', 'x.localhost.evil.com']) {
    assert.deepEqual(classifyHost(host, 'localhost'), { kind: 'berth' }, String(host));
  }
  assert.deepEqual(classifyHost('8080-web.ab12-cd.berth.example.com', 'berth.example.com'), { kind: 'service', key });
  assert.deepEqual(classifyHost('berth.example.com', 'berth.example.com'), { kind: 'berth' });
});

test('service domains and ports are normalised', () => {
  assert.equal(normaliseServiceDomain('Berth.Example.com.'), 'berth.example.com');
  for (const bad of ['', '.', 'a..b', 'bad domain', '*.example.com', 'a/b', '-a.com']) assert.equal(normaliseServiceDomain(bad), undefined, bad);
  assert.equal(hostPortSuffix('x.localhost:8765'), ':8765');
  assert.equal(hostPortSuffix('x.localhost'), '');
  assert.equal(hostPortSuffix(undefined), '');
});
