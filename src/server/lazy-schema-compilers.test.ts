import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Fastify from 'fastify';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';

test('a route with a schema is validated through the lazily loaded compilers, without coercion', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers().factory } });
  t.after(() => app.close());
  app.post('/typed', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (request) => request.body);
  const typed = await app.inject({ method: 'POST', url: '/typed', payload: { name: 'ada' } });
  assert.deepEqual(typed.json(), { name: 'ada' });
  const number = await app.inject({ method: 'POST', url: '/typed', payload: { name: 3 } });
  assert.equal(number.statusCode, 400, 'a number is not coerced into the string the route takes');
  assert.match(number.json().message, /body\/name must be string/);
  const missing = await app.inject({ method: 'POST', url: '/typed', payload: {} });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().message, /must have required property 'name'/);
  const bodiless = await app.inject({ method: 'POST', url: '/typed' });
  assert.equal(bodiless.statusCode, 400, 'no body is checked as {}');
  assert.match(bodiless.json().message, /must have required property 'name'/);
});

test('a bodiless request to a route whose body fields are optional gets {} as its body', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers().factory } });
  t.after(() => app.close());
  app.post('/optional', { schema: { body: { type: 'object', properties: { service: { type: 'string' } } } } }, async (request) => ({ body: request.body }));
  assert.deepEqual((await app.inject({ method: 'POST', url: '/optional' })).json(), { body: {} });
});

test('a schema-less Fastify app with lazy compilers does not load ajv (fresh process)', async () => {
  const script = `
    import Fastify from 'fastify';
    import { createRequire } from 'node:module';
        import { lazySchemaCompilers } from './src/server/lazy-schema-compilers.ts';
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers().factory } });
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

test('routes with schemas load ajv on their first request, not when they are registered (fresh process)', async () => {
  const script = `
    import Fastify from 'fastify';
    import { createRequire } from 'node:module';
    import { lazySchemaCompilers } from './src/server/lazy-schema-compilers.ts';
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers().factory } });
    const loadedAjv = () => Object.keys(createRequire(import.meta.url).cache).some((path) => /node_modules\\/ajv\\//.test(path));
    app.get('/plain', async () => ({ ok: true }));
    app.post('/typed/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string' } } }, body: { type: 'object', properties: { name: { type: 'string' } } } } }, async () => ({ ok: true }));
    await app.ready();
    const atReady = loadedAjv();
    await app.inject({ url: '/plain' });
    const afterPlain = loadedAjv();
    const typed = await app.inject({ method: 'POST', url: '/typed/1', payload: { name: [] } });
    console.log(JSON.stringify({ atReady, afterPlain, afterTyped: loadedAjv(), status: typed.statusCode }));
    await app.close();`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../../', import.meta.url).pathname });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').at(-1)!), { atReady: false, afterPlain: false, afterTyped: true, status: 400 });
});

test('warm loads and sets up ajv ahead of the first request, a step per turn of the event loop (fresh process)', async () => {
  const script = `
    import Fastify from 'fastify';
    import { createRequire } from 'node:module';
    import { lazySchemaCompilers } from './src/server/lazy-schema-compilers.ts';
    const compilers = lazySchemaCompilers();
    const app = Fastify({ schemaController: { compilersFactory: compilers.factory } });
    const loadedAjv = () => Object.keys(createRequire(import.meta.url).cache).some((path) => /node_modules\\/ajv\\//.test(path));
    app.post('/typed', { schema: { body: { type: 'object', properties: { name: { type: 'string' } } } } }, async () => ({ ok: true }));
    await app.ready();
    const atReady = loadedAjv();
    let turns = 0;
    let warmed = false;
    const otherWork = () => { if (!warmed) { turns += 1; setImmediate(otherWork); } };
    setImmediate(otherWork);
    await compilers.warm();
    warmed = true;
    const typed = await app.inject({ method: 'POST', url: '/typed', payload: { name: [] } });
    console.log(JSON.stringify({ atReady, afterWarm: loadedAjv(), turnsBetween: turns >= 3, status: typed.statusCode }));
    await app.close();`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../../', import.meta.url).pathname });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').at(-1)!), { atReady: false, afterWarm: true, turnsBetween: true, status: 400 });
});
