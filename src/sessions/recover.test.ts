/**
 * Recovery's removal of what no session wants, with a runtime that records its calls: sessions the
 * runtime holds without any instance are cleaned up too, and a session a user started while
 * recovery ran (the server listens first) keeps its instances and holder.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LABELS } from '../plan/index.ts';
import type { Runtime, RuntimeObject } from '../runtime/index.ts';
import { CoreStore, coreMigrations, openDatabase, type SessionRecord } from '../store/index.ts';
import { SessionManager } from './manager.ts';

const INSTALLATION = 'recover-test';

function sessionRecord(uuid: string, fields: Pick<SessionRecord, 'desired' | 'status'>): Omit<SessionRecord, 'createdAt' | 'updatedAt'> {
  return { uuid, projectUuid: 'p', pipelineUuid: 'q', pipelinePath: 'main.orchest', type: 'interactive', runtime: 'local', reason: null, planJson: '{}', ...fields };
}

function instanceOf(sessionUuid: string, service: string): RuntimeObject {
  return {
    ref: { runtime: 'local', id: `${sessionUuid}-${service}`, sessionUuid, service },
    labels: { [LABELS.installation]: INSTALLATION, [LABELS.session]: sessionUuid, [LABELS.service]: service },
    state: { state: 'running' },
  };
}

/** A manager on a fresh store, with a runtime that has only what recovery calls and writes them down. */
function harness(t: TestContext, has: { instances: RuntimeObject[]; held: string[]; onList?: () => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-recover-'));
  const db = openDatabase(join(dir, 'berth.db'), [coreMigrations]);
  const store = new CoreStore(db);
  const calls: string[] = [];
  const runtime = {
    kind: 'local',
    list: async () => {
      has.onList?.();
      return has.instances;
    },
    heldSessions: async () => has.held,
    stop: async (ref: RuntimeObject['ref']) => void calls.push(`stop ${ref.sessionUuid} ${ref.service}`),
    cleanupSession: async (sessionUuid: string) => void calls.push(`cleanup ${sessionUuid}`),
  } as Partial<Runtime> as Runtime;
  const sessions = new SessionManager({ store, runtime, installationId: INSTALLATION, stateDir: dir, sharedDataDir: join(dir, 'data'), logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await sessions.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, sessions, calls };
}

describe('session recovery: orphans', () => {
  test('a session the runtime holds without any instance is cleaned up when no session wants it', async (t) => {
    const { store, sessions, calls } = harness(t, { instances: [instanceOf('a', 'web')], held: ['a', 'stopped', 'unknown'] });
    store.upsertSession(sessionRecord('stopped', { desired: 'stopped', status: 'stopped' }));
    assert.deepEqual(await sessions.recover(), { adopted: 0, restarted: 0, removed: 1 });
    assert.deepEqual(calls, ['stop a web', 'cleanup a', 'cleanup stopped', 'cleanup unknown']);
  });

  test('a session started while recovery runs keeps its instances and holder', async (t) => {
    const has: Parameters<typeof harness>[1] = { instances: [instanceOf('late', 'web')], held: ['late', 'gone'] };
    const { store, sessions, calls } = harness(t, has);
    // A user's start, answered by the server after recovery read the sessions it wants.
    has.onList = () => store.upsertSession(sessionRecord('late', { desired: 'running', status: 'starting' }));
    assert.deepEqual(await sessions.recover(), { adopted: 0, restarted: 0, removed: 0 });
    assert.deepEqual(calls, ['cleanup gone']);
  });
});
