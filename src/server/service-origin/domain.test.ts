import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveServiceDomain } from './domain.ts';

test('the service domain: localhost on loopback by default, none elsewhere, off on request, a bad name refused by name', () => {
  assert.deepEqual(resolveServiceDomain(undefined, '127.0.0.1'), { mode: 'origins', domain: 'localhost', berthHost: '127.0.0.1' });
  assert.deepEqual(resolveServiceDomain('', '::1'), { mode: 'origins', domain: 'localhost', berthHost: '[::1]' });
  const wide = resolveServiceDomain(undefined, '0.0.0.0');
  assert.equal(wide.mode, 'off');
  assert.match(wide.mode === 'off' ? wide.reason : '', /--service-domain/);
  assert.equal(resolveServiceDomain('off', '127.0.0.1').mode, 'off');
  assert.equal(resolveServiceDomain('OFF', '0.0.0.0').mode, 'off');
  assert.deepEqual(resolveServiceDomain('Berth.Example.com', '0.0.0.0'), { mode: 'origins', domain: 'berth.example.com', berthHost: 'berth.example.com' });
  assert.throws(() => resolveServiceDomain('bad domain', '127.0.0.1'), (error: Error & { code?: string }) => error.code === 'BERTH_API_SERVICE_DOMAIN_INVALID' && /--service-domain/.test(error.message));
});
