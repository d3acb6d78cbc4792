import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostDefaultFor, imageName } from './host-defaults.ts';

describe('host defaults for well-known images', () => {
  test('image names lose registry, library/, tag and digest', () => {
    assert.equal(imageName('redis'), 'redis');
    assert.equal(imageName('redis:7-alpine'), 'redis');
    assert.equal(imageName('docker.io/library/redis:7@sha256:abc'), 'redis');
    assert.equal(imageName('localhost:5000/orchest/streamlit:1.0'), 'orchest/streamlit');
    assert.equal(imageName('ghcr.io/org/app'), 'org/app');
  });

  test('redis runs redis-server on the first declared port without persistence, on loopback', () => {
    const argv = hostDefaultFor('docker.io/redis:7')?.argv?.(6380);
    assert.deepEqual(argv, ['redis-server', '--port', '6380', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  });

  test('unknown images have no default', () => {
    assert.equal(hostDefaultFor('acme/thing:1'), undefined);
  });
});
