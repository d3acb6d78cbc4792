import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreStore, coreMigrations } from './core.ts';
import { openDatabase } from './db.ts';
import { loadSecretKey, type SecretBox } from './secret-box.ts';

/** A real secret box that counts how often it opens a sealed text. */
function countingBox(dataDir: string): { box: SecretBox; opens: () => number } {
  const { box } = loadSecretKey(dataDir, {});
  let opens = 0;
  return {
    box: { seal: (plain, context) => box.seal(plain, context), isSealed: (stored) => box.isSealed(stored), open: (stored, context) => ((opens += 1), box.open(stored, context)) },
    opens: () => opens,
  };
}

test('a session plan sealed at rest is read and opened once per revision, and a new plan is read back new', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-core-store-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = openDatabase(join(dataDir, 'berth.db'), [coreMigrations]);
  t.after(() => db.close());
  const { box, opens } = countingBox(dataDir);
  const store = new CoreStore(db, box);
  const project = store.addProject({ name: 'p', path: dataDir });
  const uuid = '00000000-0000-4000-8000-00000000000a';
  const base = { uuid, projectUuid: project.uuid, pipelineUuid: 'pl', pipelinePath: 'a.orchest', type: 'interactive', runtime: 'local', desired: 'running', status: 'starting', reason: null } as const;
  store.upsertSession({ ...base, planJson: '{"v":1}' });

  const stored = db.prepare('SELECT plan_json AS plan FROM sessions').get() as { plan: string };
  assert.ok(box.isSealed(stored.plan), 'the plan is sealed in the table');
  for (let i = 0; i < 5; i += 1) assert.equal(store.getSession(uuid)?.planJson, '{"v":1}');
  assert.equal(store.listSessions()[0]?.planJson, '{"v":1}');
  store.updateSession(uuid, { status: 'running' });
  assert.equal(store.getSession(uuid)?.planJson, '{"v":1}');
  assert.equal(opens(), 1, 'status reads and writes reuse the opened plan');

  store.updateSession(uuid, { planJson: '{"v":2}' });
  assert.equal(store.getSession(uuid)?.planJson, '{"v":2}');
  assert.equal(opens(), 2);
  store.upsertSession({ ...base, planJson: '{"v":3}' });
  assert.deepEqual(store.listSessions().map((session) => session.planJson), ['{"v":3}']);
  assert.equal(opens(), 3);
  assert.ok(!('planRev' in store.getSession(uuid)!), 'the revision stays inside the store');
  store.deleteSession(uuid);
  assert.equal(store.getSession(uuid), undefined);
});

test('plans an older Berth stored in plain text are sealed at start, and sealed ones are left alone', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-core-store-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = openDatabase(join(dataDir, 'berth.db'), [coreMigrations]);
  t.after(() => db.close());
  const { box } = countingBox(dataDir);
  const store = new CoreStore(db, box);
  const project = store.addProject({ name: 'p', path: dataDir });
  store.upsertSession({ uuid: 'sealed', projectUuid: project.uuid, pipelineUuid: 'pl', pipelinePath: 'a.orchest', type: 'interactive', runtime: 'local', desired: 'running', status: 'running', reason: null, planJson: '{"sealed":true}' });
  db.prepare(
    `INSERT INTO sessions (uuid, project_uuid, pipeline_uuid, pipeline_path, type, runtime, desired, status, reason, plan_json, created_at, updated_at)
     VALUES ('plain', ?, 'pl', 'b.orchest', 'interactive', 'local', 'running', 'running', NULL, '{"plain":true}', '2026-01-01', '2026-01-01')`,
  ).run(project.uuid);
  const sealedBefore = (db.prepare(`SELECT plan_json AS plan FROM sessions WHERE uuid = 'sealed'`).get() as { plan: string }).plan;

  assert.equal(store.sealPlaintextSecrets(), 1);
  const rows = db.prepare('SELECT uuid, plan_json AS plan FROM sessions ORDER BY uuid').all() as { uuid: string; plan: string }[];
  assert.ok(rows.every((row) => box.isSealed(row.plan)));
  assert.equal(rows.find((row) => row.uuid === 'sealed')?.plan, sealedBefore, 'a sealed plan is not sealed again');
  assert.equal(store.getSession('plain')?.planJson, '{"plain":true}');
  assert.equal(store.sealPlaintextSecrets(), 0);
});
