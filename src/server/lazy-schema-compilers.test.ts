import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Fastify from 'fastify';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';

test('a route with a schema is validated through the lazily loaded compilers', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
  t.after(() => app.close());
  app.post('/typed', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (request) => request.body);
  const coerced = await app.inject({ method: 'POST', url: '/typed', payload: { name: 3 } });
  assert.deepEqual(coerced.json(), { name: '3' }, 'ajv coerces as Fastify configures it by default');
  const missing = await app.inject({ method: 'POST', url: '/typed', payload: {} });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().message, /must have required property 'name'/);
});

test('a schema-less Fastify app with lazy compilers does not load ajv (fresh process)', async () => {
  const script = `
    import Fastify from 'fastify';
    import { createRequire } from 'node:module';
        import { lazySchemaCompilers } from './src/server/lazy-schema-compilers.ts';
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
    app.get('/', async () => ({ ok: true }));
    await app.ready();
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /node_modules\\/(ajv|@fastify\\/ajv-compiler|@fastify\\/fast-json-stringify-compiler)\\/|fast-json-stringify\\/index\\.js$/.test(path));
    // fast-json-stringify's small runtime (lib/serializer.js) serves Fastify's error answers: not counted.
    console.log(JSON.stringify(loaded));
    await app.close();`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../../', import.meta.url).pathname });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').at(-1)!), []);
});
