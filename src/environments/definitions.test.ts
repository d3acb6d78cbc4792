import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../store/index.ts';
import { contextFiles, generateDockerfile } from './context.ts';
import { createEnvironment, deleteEnvironment, environmentDir, getEnvironment, listEnvironments, updateEnvironment } from './definitions.ts';
import { EnvironmentError } from './errors.ts';
import { environmentBuildStore, environmentMigrations, resolveEnvironmentImage } from './store.ts';

function tempProject(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-envdef-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('environments are written in Orchest layout and read back; update and delete', async (t) => {
  const project = tempProject(t);
  assert.deepEqual(await listEnvironments(project), []);
  const uuid = randomUUID();
  await createEnvironment(project, { name: 'Python 3', base_image: 'localhost/debian:bookworm', setupScript: 'echo hi\n' }, uuid);
  const dir = join(project, '.orchest', 'environments', uuid);
  assert.equal(environmentDir(project, uuid), dir);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'properties.json'), 'utf8')), {
    uuid,
    name: 'Python 3',
    base_image: 'localhost/debian:bookworm',
    language: 'python',
    gpu_support: false,
  });
  assert.equal(readFileSync(join(dir, 'setup_script.sh'), 'utf8'), 'echo hi\n');
  const updated = await updateEnvironment(project, uuid, { name: 'Renamed' });
  assert.equal(updated.properties.name, 'Renamed');
  assert.equal(updated.setupScript, 'echo hi\n');
  assert.deepEqual(readdirSync(dir).sort(), ['properties.json', 'setup_script.sh'], 'no temp files left behind');
  assert.deepEqual((await listEnvironments(project)).map((e) => e.properties.name), ['Renamed']);
  await deleteEnvironment(project, uuid);
  assert.equal(existsSync(dir), false);
  await assert.rejects(getEnvironment(project, uuid), (e: unknown) => e instanceof EnvironmentError && e.code === 'BERTH_ENV_NOT_FOUND' && e.message.includes(uuid));
});

test('an Orchest-made properties.json with extra fields is read and its extras kept on update', async (t) => {
  const project = tempProject(t);
  const uuid = randomUUID();
  const dir = join(project, '.orchest', 'environments', uuid);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'properties.json'), JSON.stringify({ uuid, name: 'Orchest', base_image: 'orchest/base-kernel-py', language: 'python', gpu_support: false, extra: 1 }));
  const env = await getEnvironment(project, uuid);
  assert.equal(env.setupScript, '');
  await updateEnvironment(project, uuid, { setupScript: 'pip install x\n' });
  assert.equal(JSON.parse(readFileSync(join(dir, 'properties.json'), 'utf8')).extra, 1);
});

test('invalid definitions are refused with the file and field, and nothing is written', async (t) => {
  const project = tempProject(t);
  const uuid = randomUUID();
  await createEnvironment(project, { name: 'ok', base_image: 'debian' }, uuid);
  const file = join(project, '.orchest', 'environments', uuid, 'properties.json');
  const before = readFileSync(file, 'utf8');
  await assert.rejects(updateEnvironment(project, uuid, { base_image: 'has space' }), {
    code: 'BERTH_ENV_INVALID',
    message: `${file}: base_image must be an image reference without spaces, e.g. localhost/debian:bookworm`,
  });
  await assert.rejects(updateEnvironment(project, uuid, { setupScript: 'a\u0000b' }), { code: 'BERTH_ENV_INVALID', message: /setup_script\.sh must not contain NUL bytes/ });
  assert.equal(readFileSync(file, 'utf8'), before);
  await assert.rejects(createEnvironment(project, { name: ' ', base_image: 'debian' }), { message: 'new environment: name must be a non-empty string' });
  await assert.rejects(createEnvironment(project, { name: 'again', base_image: 'debian' }, uuid), { code: 'BERTH_ENV_EXISTS' });
  writeFileSync(file, '{ nope');
  await assert.rejects(getEnvironment(project, uuid), { code: 'BERTH_ENV_INVALID', message: new RegExp(`^${file}: not valid JSON`) });
  await assert.rejects(getEnvironment(project, '../etc'), { code: 'BERTH_ENV_INVALID', message: '"../etc" is not an environment uuid' });
});

test('the build context leaves out .git, .orchest and what the root .gitignore excludes', async (t) => {
  const project = tempProject(t);
  for (const dir of ['.git', '.orchest/environments', 'src/__pycache__', 'data/raw', 'logs']) mkdirSync(join(project, dir), { recursive: true });
  for (const file of ['.git/HEAD', '.orchest/x', 'src/a.py', 'src/__pycache__/a.pyc', 'data/raw/big.csv', 'data/keep.csv', 'logs/x.log', 'notes.md', 'app.log']) {
    writeFileSync(join(project, file), 'x');
  }
  writeFileSync(join(project, '.gitignore'), '# comment\n*.log\n__pycache__/\n/data/raw\n!important.log\n');
  assert.deepEqual(await contextFiles(project), ['.gitignore', 'data', 'data/keep.csv', 'logs', 'notes.md', 'src', 'src/a.py']);
});

test('the Dockerfile bakes the project into /project-dir and runs the setup script with bash', () => {
  assert.equal(
    generateDockerfile({ baseImage: 'localhost/debian:bookworm', projectUuid: 'p', environmentUuid: 'e' }),
    [
      'FROM localhost/debian:bookworm',
      'LABEL berth.project="p" berth.environment="e"',
      'WORKDIR /project-dir',
      'COPY project/ /project-dir/',
      'COPY .berth-build/setup_script.sh /tmp/berth-build/setup_script.sh',
      'RUN bash /tmp/berth-build/setup_script.sh && rm -rf /tmp/berth-build',
      '',
    ].join('\n'),
  );
});

test('build numbers only increase; the newest successful build is current; none yet says how to build', (t) => {
  const db = openDatabase(':memory:', [environmentMigrations]);
  t.after(() => db.close());
  const store = environmentBuildStore(db);
  const [p, e] = [randomUUID(), randomUUID()];
  assert.throws(() => resolveEnvironmentImage(db, p, e), {
    code: 'BERTH_ENV_NOT_BUILT',
    message: `environment ${e} of project ${p} has no successfully built image: build it with \`berth env-image build ${p} ${e}\``,
  });
  const one = store.finish(store.begin(p, e), { status: 'succeeded', log: 'log 1' });
  const two = store.finish(store.begin(p, e), { status: 'failed', log: 'log 2', error: 'exit 3' });
  const three = store.begin(p, e);
  assert.deepEqual([one.number, two.number, three.number], [1, 2, 3]);
  assert.equal(resolveEnvironmentImage(db, p, e), `berth-env-${p}-${e}:1`);
  assert.equal(store.failInterrupted(), 1);
  assert.deepEqual(store.list(p, e).map((b) => [b.number, b.status, b.error]), [
    [1, 'succeeded', null],
    [2, 'failed', 'exit 3'],
    [3, 'failed', 'interrupted: Berth stopped during the build'],
  ]);
  assert.equal(store.begin(p, e).number, 4);
  assert.equal(store.begin(p, randomUUID()).number, 1);
});
