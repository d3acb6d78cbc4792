/**
 * The UI's small decisions, without a browser: which ports get an "Open" link, how a session with
 * one failed service is summed up, and what Save sends for a file whose other services are untouched.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { speaksHttp } from '../web/src/lib/protocols.ts';
import { announcement, summarizeSession } from '../web/src/lib/session-summary.ts';
import { draftFromService, specFromDrafts, specToSave } from '../web/src/lib/draft.ts';
import type { PipelineSpec, ServiceSpec } from '../src/spec/types.ts';

describe('UI decisions', () => {
  test('database ports get an address, web ports an Open link', () => {
    assert.equal(speaksHttp({ image: 'redis' }, 6379), false);
    assert.equal(speaksHttp({ image: 'docker.io/library/postgres:16' }, 5432), false);
    assert.equal(speaksHttp({ image: 'my/custom-db' }, 5432), false, 'a known database port');
    assert.equal(speaksHttp({ image: 'quay.io/jupyter/base-notebook' }, 8888), true);
    assert.equal(speaksHttp({ image: 'redis', readiness: { type: 'http', port: 8001 } } as Pick<ServiceSpec, 'image' | 'readiness'>, 8001), true, 'an HTTP readiness check settles it');
  });

  test('one failed service among ready ones is "running, 1 failed"', () => {
    const service = (name: string, status: string) => ({ name, status });
    const session = { status: 'failed', services: [service('cache', 'ready'), service('broken', 'failed')] };
    assert.deepEqual(summarizeSession(session), { status: 'degraded', label: 'running, 1 failed' });
    assert.deepEqual(summarizeSession({ ...session, services: [service('broken', 'failed')] }), { status: 'failed', label: 'failed' });
    assert.equal(announcement(session), 'Session running, 1 failed. cache ready, broken failed.');
    assert.deepEqual(summarizeSession(null), { status: 'not running', label: 'not running' });
  });

  test('Save sends the file as read with only the edited service replaced', () => {
    const raw = {
      name: 'p',
      uuid: '0d6c7d2a-5f1e-4c3b-9a8d-1e2f3a4b5c6d',
      version: '1.2.3',
      steps: {},
      parameters: { greeting: 'hello' },
      services: {
        cache: { name: 'cache', image: 'redis', ports: [6379], scope: ['interactive'], order: 0 },
        web: { name: 'web', image: 'python', command: 'python3', ports: [8000], scope: ['interactive'], order: 1 },
      },
    };
    const content = `${JSON.stringify(raw, null, 4)}\n`;
    const parsed = raw as unknown as PipelineSpec;
    const initial = Object.values(parsed.services!).map((s, i) => draftFromService(s, i));
    const drafts = initial.map((d) => (d.name === 'web' ? { ...d, args: '-m http.server 8000' } : d));
    const edited = specFromDrafts(parsed, drafts, parsed.parameters);
    const sent = specToSave({ content, migrated: false, edited, initial, drafts, parametersChanged: false }) as unknown as typeof raw;
    assert.deepEqual(sent.services.cache, raw.services.cache, 'cache is sent exactly as it was read (no spelled-out defaults)');
    assert.equal((sent.services.web as Record<string, unknown>).args, '-m http.server 8000');
    assert.equal((edited.services!.cache as Record<string, unknown>).requires_authentication, true, 'the form alone would have added it');
    // A migrated file is rewritten whole: the form's spec goes as it is.
    assert.equal(specToSave({ content, migrated: true, edited, initial, drafts, parametersChanged: false }), edited);
  });
});
