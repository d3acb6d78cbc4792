import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../errors.ts';
import { chooseReach, engineHostFacts, parseReach, subnetContains } from './reach.ts';

test('subnets contain their addresses and nothing else', () => {
  assert.equal(subnetContains('172.18.0.0/16', '172.18.3.4'), true);
  assert.equal(subnetContains('172.18.0.0/16', '172.19.0.1'), false);
  assert.equal(subnetContains('10.89.0.2/24', '10.89.0.1'), true, 'a host address with its prefix names its subnet');
  assert.equal(subnetContains('0.0.0.0/0', '192.0.2.2'), true);
  assert.equal(subnetContains('10.0.0.0/33', '10.0.0.1'), false);
  assert.equal(subnetContains('fd00::/64', 'fd00::1'), false, 'IPv6 is not matched');
});

test('auto reaches the network next to a rootful engine, and publishes ports otherwise', () => {
  assert.equal(chooseReach('auto', { rootless: false, otherHost: false }), 'network');
  assert.equal(chooseReach('auto', { rootless: true, otherHost: false }), 'published');
  assert.equal(chooseReach('auto', { rootless: false, otherHost: true }), 'published');
  assert.equal(chooseReach('published', { rootless: false, otherHost: false }), 'published');
  assert.deepEqual(engineHostFacts({ SecurityOptions: ['name=seccomp,profile=default', 'name=rootless'], Name: 'vm' }, 'vm'), { rootless: true, otherHost: false });
  assert.deepEqual(engineHostFacts({ SecurityOptions: ['name=seccomp,profile=default'], Name: 'vm' }, '3f2a9c1d'), { rootless: false, otherHost: true });
});

test('BERTH_DOCKER_REACH: a wrong value names the choices', () => {
  assert.equal(parseReach(undefined), 'auto');
  assert.equal(parseReach('network'), 'network');
  assert.throws(() => parseReach('host'), (error: unknown) => {
    assert.ok(error instanceof RuntimeError);
    assert.equal(error.code, 'BERTH_RUNTIME_DOCKER_REACH');
    assert.match(error.hint ?? '', /auto \(the default\), network .* or published/);
    return true;
  });
});
