// Berth's state stays private (issue 18, point 4): the data directory is 0700 and the database files
// 0600 at every start (with a warning when they were not), and env var values are encrypted at rest
// with a key kept in its own file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { chmod, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { startServer, type BerthServer, type ServerOptions } from '../../src/server/index.ts';
import { startTestServer, tempDir, writePipeline } from '../support/berth.ts';
import { freePort } from '../support/ports.ts';

/** A server this test stops itself (startTestServer's own stop would run a second time). */
async function startAndStop(dataDir: string, options: Partial<ServerOptions> = {}, use?: (server: BerthServer) => void): Promise<void> {
  const server = await startServer({ port: 0, runtime: 'local', logger: pino({ level: 'silent' }), ...options, dataDir });
  try {
    use?.(server);
  } finally {
    await server.close();
  }
}

const SECRET = 'hunter2-very-secret-value-7f3a';

async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Every file of the data dir's database (db, WAL, shm) as one string, to look for plain text. */
async function databaseBytes(dataDir: string): Promise<string> {
  const files = (await readdir(dataDir)).filter((name) => name.startsWith('berth.db'));
  const parts = await Promise.all(files.map((name) => readFile(join(dataDir, name), 'latin1')));
  return parts.join('\n');
}

describe('private state', () => {
  test('a data directory made 755 beforehand and 644 db files are made 700/600 at start, with a warning', async (t) => {
    const dataDir = await tempDir(t);
    await startAndStop(dataDir);
    await chmod(dataDir, 0o755);
    for (const name of await readdir(dataDir)) if (name.startsWith('berth.db')) await chmod(join(dataDir, name), 0o644);
    const { logger, lines } = capturingLogger();
    await startTestServer(t, { dataDir, logger });
    assert.equal(await mode(dataDir), '700');
    for (const name of ['berth.db', 'berth.db-wal', 'berth.db-shm']) assert.equal(await mode(join(dataDir, name)), '600', name);
    assert.match(lines.join(''), /Berth's state was readable by other users: .*berth\.db was mode 644, now 600/);
    assert.match(lines.join(''), /was mode 755, now 700/);
  });

  test('env var values, session plans and job env are encrypted at rest: not in berth.db or its WAL, readable through the API', async (t) => {
    const { server, token, dataDir } = await startTestServer(t);
    const project = await tempDir(t);
    // The service inherits the secret: the session's stored plan holds it too.
    const service = { image: 'sleeper', command: 'sleep', args: '60', ports: [await freePort()], readiness: { type: 'none' }, env_variables_inherit: ['API_KEY'] };
    await writePipeline(project, 'main.orchest', { name: 'main', services: { sleeper: service } });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${server.url}/api/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ path: project, name: 'p1' }) })).status, 201);
    const set = await fetch(`${server.url}/api/projects/p1/env/API_KEY`, { method: 'PUT', headers: auth, body: JSON.stringify({ value: SECRET }) });
    assert.equal(set.status, 200);
    const started = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ project: 'p1', pipeline: 'main' }) });
    assert.ok(started.status < 300, await started.clone().text());
    const [session] = server.sessions.list({ activeOnly: true });
    assert.ok(session, 'no session started');
    assert.ok(JSON.stringify(server.sessions.plan(session.uuid)).includes(SECRET), 'the plan should carry the inherited value');
    // A job copies the project's variables (and its own) when it is created.
    const job = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: auth, body: JSON.stringify({ project: 'p1', pipeline: 'main', env: { OWN: `${SECRET}-job` } }) });
    assert.equal(job.status, 201, await job.clone().text());
    assert.deepEqual(server.jobs.store.listJobs()[0]?.env, { API_KEY: SECRET, OWN: `${SECRET}-job` });
    assert.ok(!(await databaseBytes(dataDir)).includes(SECRET), 'the secret is in the database files in plain text');
    const listed = (await (await fetch(`${server.url}/api/projects/p1/env?reveal=1`, { headers: auth })).json()) as { env: Array<{ name: string; value: string }> };
    assert.deepEqual(listed.env, [{ name: 'API_KEY', value: SECRET }]);
    assert.equal(await mode(join(dataDir, 'secret.key')), '600');
  });

  test('plain-text values of an older Berth are encrypted at the next start; a key from BERTH_SECRET_KEY_FILE is used', async (t) => {
    const dataDir = await tempDir(t);
    const keyDir = await tempDir(t);
    await mkdir(join(keyDir, 'keys'));
    const keyFile = join(keyDir, 'keys', 'berth.key');
    const env = { ...process.env, BERTH_SECRET_KEY_FILE: keyFile };
    const projectDir = await tempDir(t);
    let projectUuid = '';
    await startAndStop(dataDir, { env }, (server) => {
      projectUuid = server.store.addProject({ name: 'old', path: projectDir }).uuid;
    });
    // What an older Berth wrote: the value as is.
    const db = new Database(join(dataDir, 'berth.db'));
    db.prepare('INSERT INTO env_vars (project_uuid, pipeline_uuid, name, value) VALUES (?, ?, ?, ?)').run(projectUuid, '', 'TOKEN', SECRET);
    db.close();
    assert.ok((await databaseBytes(dataDir)).includes(SECRET));
    const second = await startTestServer(t, { dataDir, env });
    assert.ok(!(await databaseBytes(dataDir)).includes(SECRET), 'the plain-text value survived the start');
    assert.deepEqual(second.server.store.envVars(projectUuid, ''), { TOKEN: SECRET });
    assert.equal(await mode(keyFile), '600');
    await assert.rejects(readFile(join(dataDir, 'secret.key')), { code: 'ENOENT' });
  });
});
