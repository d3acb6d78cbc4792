/**
 * The server side of the web UI: serving web/dist (caching, SPA fallback, the page shown when the
 * UI is not built) and the pipeline editor's API (read, write with a changed-on-disk check,
 * validate, templates).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import { registerUi } from '../src/server/ui.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';

describe('serving the UI', () => {
  async function uiApp(t: Parameters<typeof tempDir>[0], built: boolean) {
    const dist = await tempDir(t, 'berth-ui-');
    if (built) {
      await mkdir(join(dist, 'assets'));
      await writeFile(join(dist, 'index.html'), '<!doctype html><title>Berth</title><div id="root"></div>');
      await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("ui")');
      await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    }
    const app = Fastify();
    app.get('/api/health', async () => ({ ok: true }));
    registerUi(app, { distDir: dist });
    t.after(() => app.close());
    return app;
  }

  test('hashed assets are immutable, index.html is revalidated, client routes fall back to index.html', async (t) => {
    const app = await uiApp(t, true);
    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');

    const root = await app.inject({ url: '/' });
    assert.equal(root.statusCode, 200);
    assert.match(root.body, /<div id="root">/);
    assert.equal(root.headers['cache-control'], 'no-cache');
    const again = await app.inject({ url: '/', headers: { 'if-none-match': root.headers.etag as string } });
    assert.equal(again.statusCode, 304, 'an unchanged index.html is not sent twice');

    const deep = await app.inject({ url: '/projects/demo/pipelines/demo.orchest/settings?tab=services' });
    assert.equal(deep.statusCode, 200);
    assert.match(deep.body, /<div id="root">/, 'a client-side route gets the app');
    assert.equal((await app.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
  });

  test('API paths stay JSON 404s, stale asset names are 404s, and nothing outside web/dist is served', async (t) => {
    const app = await uiApp(t, true);
    const api = await app.inject({ url: '/api/no-such-thing' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error.code, 'BERTH_API_NOT_FOUND');
    assert.equal((await app.inject({ url: '/api/health' })).json().ok, true);
    assert.equal((await app.inject({ url: '/assets/index-old999.js' })).statusCode, 404);
    const escape = await app.inject({ url: '/..%2f..%2f..%2fetc%2fpasswd' });
    assert.doesNotMatch(escape.body, /root:/);
  });

  test('without a build, every UI path says how to build it', async (t) => {
    const app = await uiApp(t, false);
    const page = await app.inject({ url: '/projects' });
    assert.equal(page.statusCode, 503);
    assert.match(page.body, /The Berth web UI is not built/);
    assert.match(page.body, /npm run build:web/);
  });
});

describe('pipeline editor API', () => {
  async function setup(t: Parameters<typeof tempDir>[0]) {
    const { client } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-project-');
    const { path } = await writePipeline(dir, 'main.orchest', { services: { redis: { image: 'redis', ports: [6379] } } });
    await client.addProject(dir, 'proj');
    return { client, path };
  }
  type Doc = { content: string; spec: { services: Record<string, Record<string, unknown>> }; diagnostics: unknown[]; sessionUuid: string; valid: boolean };

  test('GET gives the file text, the spec, diagnostics and the future session uuid; PUT writes it back', async (t) => {
    const { client, path } = await setup(t);
    const doc = await client.request<Doc>('GET', '/api/projects/proj/pipelines/main.orchest');
    assert.equal(doc.content, await readFile(path, 'utf8'));
    assert.equal(doc.valid, true);
    assert.equal(doc.sessionUuid.length, 36);
    doc.spec.services.redis!.env_variables = { MODE: 'test' };
    const saved = await client.request<Doc>('PUT', '/api/projects/proj/pipelines/main.orchest', { spec: doc.spec, expectedContent: doc.content });
    assert.deepEqual(saved.spec.services.redis!.env_variables, { MODE: 'test' });
    assert.equal(saved.content, await readFile(path, 'utf8'));
    assert.match(saved.content, /"MODE": "test"/);
  });

  test('PUT is refused with 409 when the file changed on disk since it was read, and the file is kept', async (t) => {
    const { client, path } = await setup(t);
    const doc = await client.request<Doc>('GET', '/api/projects/proj/pipelines/main');
    const edited = doc.content.replace('"redis"', '"redis"').replace('6379', '6380');
    await writeFile(path, edited);
    await assert.rejects(
      client.request('PUT', '/api/projects/proj/pipelines/main', { spec: doc.spec, expectedContent: doc.content }),
      (error: { status: number; code: string; message: string }) => {
        assert.equal(error.status, 409);
        assert.equal(error.code, 'BERTH_SPEC_CHANGED_ON_DISK');
        assert.match(error.message, /changed on disk/);
        return true;
      },
    );
    assert.equal(await readFile(path, 'utf8'), edited, 'the change made elsewhere survives');
  });

  test('an invalid spec is refused with every problem at its field; /api/validate reports the same', async (t) => {
    const { client, path } = await setup(t);
    const before = await readFile(path, 'utf8');
    const doc = await client.request<Doc>('GET', '/api/projects/proj/pipelines/main.orchest');
    doc.spec.services.redis!.ports = [70000];
    const { diagnostics } = await client.request<{ diagnostics: { path: string; message: string; severity: string }[] }>('POST', '/api/validate', {
      spec: doc.spec,
    });
    const portProblem = diagnostics.find((d) => d.path === 'services.redis.ports[0]');
    assert.ok(portProblem, JSON.stringify(diagnostics));
    await assert.rejects(
      client.request('PUT', '/api/projects/proj/pipelines/main.orchest', { spec: doc.spec, expectedContent: doc.content }),
      (error: { status: number; code: string; details: { path: string; message: string }[] }) => {
        assert.equal(error.status, 422);
        assert.equal(error.code, 'BERTH_SPEC_INVALID');
        assert.ok(error.details.some((d) => d.path === 'services.redis.ports[0]' && d.message === portProblem.message));
        return true;
      },
    );
    assert.equal(await readFile(path, 'utf8'), before, 'nothing was written');
  });

  test('GET /api/templates lists the service templates', async (t) => {
    const { client } = await setup(t);
    const { templates } = await client.request<{ templates: { id: string; label: string; service: { name: string; image: string } }[] }>('GET', '/api/templates');
    assert.deepEqual(
      templates.map((x) => x.id).sort(),
      ['custom', 'jupyter', 'postgres', 'redis', 'streamlit', 'tensorboard', 'vscode'],
    );
    assert.equal(templates.find((x) => x.id === 'redis')?.service.image, 'redis');
  });
});
