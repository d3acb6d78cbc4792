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

test('a session plan sealed at rest is opened once per revision, and a new plan is read back new', (t) => {
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

  const stored = db.prepare('SELECT plan_json AS plan FROM session_plans').get() as { plan: string };
  assert.ok(box.isSealed(stored.plan), 'the plan is sealed in the table');
  const columns = (db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[]).map((column) => column.name);
  assert.ok(!columns.includes('plan_json'), 'a status write does not rewrite the plan: it has a row of its own');
  for (let i = 0; i < 5; i += 1) assert.equal(store.getSession(uuid)?.planJson, '{"v":1}');
  assert.equal(opens(), 0, 'a plan this store wrote is not read back');

  // A store that did not write it (a restarted server) opens it once, whatever the reads and status writes.
  const restarted = new CoreStore(db, box);
  for (let i = 0; i < 5; i += 1) assert.equal(restarted.getSession(uuid)?.planJson, '{"v":1}');
  assert.equal(restarted.listSessions()[0]?.planJson, '{"v":1}');
  restarted.updateSession(uuid, { status: 'running' });
  assert.equal(restarted.getSession(uuid)?.planJson, '{"v":1}');
  assert.equal(opens(), 1, 'status reads and writes reuse the opened plan');

  restarted.updateSession(uuid, { planJson: '{"v":2}' });
  assert.equal(restarted.getSession(uuid)?.planJson, '{"v":2}');
  restarted.upsertSession({ ...base, planJson: '{"v":3}' });
  assert.deepEqual(restarted.listSessions().map((session) => session.planJson), ['{"v":3}']);
  assert.equal(new CoreStore(db, box).getSession(uuid)?.planJson, '{"v":3}', 'what was written is in the table');
  assert.ok(!('planRev' in restarted.getSession(uuid)!), 'the revision stays inside the store');
  restarted.deleteSession(uuid);
  assert.equal(restarted.getSession(uuid), undefined);
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
    `INSERT INTO sessions (uuid, project_uuid, pipeline_uuid, pipeline_path, type, runtime, desired, status, reason, created_at, updated_at)
     VALUES ('plain', ?, 'pl', 'b.orchest', 'interactive', 'local', 'running', 'running', NULL, '2026-01-01', '2026-01-01')`,
  ).run(project.uuid);
  db.prepare(`INSERT INTO session_plans (session_uuid, plan_json) VALUES ('plain', '{"plain":true}')`).run();
  const sealedBefore = (db.prepare(`SELECT plan_json AS plan FROM session_plans WHERE session_uuid = 'sealed'`).get() as { plan: string }).plan;

  assert.equal(store.sealPlaintextSecrets(), 1);
  const rows = db.prepare('SELECT session_uuid AS uuid, plan_json AS plan FROM session_plans ORDER BY uuid').all() as { uuid: string; plan: string }[];
  assert.ok(rows.every((row) => box.isSealed(row.plan)));
  assert.equal(rows.find((row) => row.uuid === 'sealed')?.plan, sealedBefore, 'a sealed plan is not sealed again');
  assert.equal(store.getSession('plain')?.planJson, '{"plain":true}');
  assert.equal(store.sealPlaintextSecrets(), 0);
});

test('a database of a Berth that kept plans in the session row is migrated: the plans move, nothing is lost', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-core-store-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const file = join(dataDir, 'berth.db');
  const before = { feature: coreMigrations.feature, steps: coreMigrations.steps.slice(0, 2) };
  const old = openDatabase(file, [before]);
  old.prepare(`INSERT INTO projects (uuid, name, path, created_at) VALUES ('p', 'p', ?, '2026-01-01')`).run(dataDir);
  old.prepare(
    `INSERT INTO sessions (uuid, project_uuid, pipeline_uuid, pipeline_path, type, runtime, desired, status, reason, plan_json, plan_rev, created_at, updated_at)
     VALUES ('s', 'p', 'pl', 'a.orchest', 'interactive', 'local', 'running', 'running', NULL, '{"old":true}', 4, '2026-01-01', '2026-01-01')`,
  ).run();
  old.close();

  const db = openDatabase(file, [coreMigrations]);
  t.after(() => db.close());
  const store = new CoreStore(db);
  assert.equal(store.getSession('s')?.planJson, '{"old":true}');
  assert.equal(store.getSession('s')?.status, 'running');
  store.deleteSession('s');
  assert.equal((db.prepare('SELECT count(*) AS n FROM session_plans').get() as { n: number }).n, 0, 'a session takes its plan with it');
});

test('plans are stored deflated, sealed or not, and plans stored as JSON by an older Berth read as they were', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-core-store-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = openDatabase(join(dataDir, 'berth.db'), [coreMigrations]);
  t.after(() => db.close());
  const { box } = countingBox(dataDir);
  const keyless = new CoreStore(db);
  const project = keyless.addProject({ name: 'p', path: dataDir });
  const session = (uuid: string, planJson: string) =>
    ({ uuid, projectUuid: project.uuid, pipelineUuid: 'pl', pipelinePath: 'a.orchest', type: 'interactive', runtime: 'local', desired: 'running', status: 'running', reason: null, planJson }) as const;
  const storedPlan = (uuid: string) => (db.prepare('SELECT plan_json AS plan FROM session_plans WHERE session_uuid = ?').get(uuid) as { plan: string }).plan;
  // What a plan is like: every service repeats the session's ids (env, labels).
  const services = Array.from({ length: 500 }, (_, i) => ({ name: `s${i}`, env: [{ name: 'ORCHEST_SESSION_UUID', value: '766907b5-cb1e-4e6f8c1a2b3c-1234-4abc' }], labels: { 'berth.project': project.uuid } }));
  const large = JSON.stringify({ plan: { services } });

  keyless.upsertSession(session('packed', large));
  assert.ok(storedPlan('packed').length < large.length / 10, `${storedPlan('packed').length} bytes stored for ${large.length} of JSON`);
  const sealing = new CoreStore(db, box);
  assert.equal(sealing.sealPlaintextSecrets(), 1, 'a plan deflated without a key is sealed at start');
  assert.ok(box.isSealed(storedPlan('packed')) && storedPlan('packed').length < large.length / 10);
  assert.equal(new CoreStore(db, box).getSession('packed')?.planJson, large);

  sealing.upsertSession(session('sealed-json', '{}'));
  db.prepare('UPDATE session_plans SET plan_json = ? WHERE session_uuid = ?').run(box.seal('{"sealed":"json"}', 'sessions/sealed-json/plan'), 'sealed-json');
  db.prepare('UPDATE sessions SET plan_rev = plan_rev + 1 WHERE uuid = ?').run('sealed-json');
  assert.equal(new CoreStore(db, box).getSession('sealed-json')?.planJson, '{"sealed":"json"}');
});
