import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { skipUnless } from '../../test/support/requirements.ts';
import { openDatabase } from '../store/index.ts';
import { createDockerClient, createDockerRuntime, createEngineImageBuilder, imageExists } from '../runtime/docker/index.ts';
import { engines, removeTestImages, servicePlan, testSessionUuid } from '../runtime/docker/test-helpers.ts';
import { LABELS } from '../plan/types.ts';
import type { Runtime } from '../runtime/types.ts';
import { buildEnvironment } from './build.ts';
import { createEnvironment, updateEnvironment } from './definitions.ts';
import { EnvironmentError } from './errors.ts';
import { environmentBuildStore, environmentMigrations, resolveEnvironmentImage } from './store.ts';

const BASE = 'localhost/debian:bookworm';

for (const engine of await engines()) {
  describe(`environment builds on ${engine.name}`, skipUnless(engine.requirement), () => {
    const installationId = `test-${randomUUID().slice(0, 8)}`;
    const builder = createEngineImageBuilder(engine.socketPath);

    function setup(t: { after: (fn: () => Promise<void> | void) => void }) {
      const dir = mkdtempSync(join(tmpdir(), 'berth-env-'));
      const projectDir = join(dir, 'project');
      mkdirSync(join(projectDir, '.git'), { recursive: true });
      writeFileSync(join(projectDir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      writeFileSync(join(projectDir, 'data.txt'), 'project data\n');
      writeFileSync(join(projectDir, '.gitignore'), 'secret.txt\n');
      writeFileSync(join(projectDir, 'secret.txt'), 'not for the image\n');
      const db = openDatabase(':memory:', [environmentMigrations]);
      const projectUuid = randomUUID();
      const runtime = createDockerRuntime({ socketPath: engine.socketPath, installationId, graceMs: 0, user: 'image' });
      const sid = testSessionUuid();
      const client = createDockerClient(engine.socketPath);
      t.after(async () => {
        for (const o of await runtime.list({ [LABELS.session]: sid })) await runtime.stop(o.ref, { graceMs: 0 });
        await runtime.cleanupSession(sid);
        await runtime.close();
        await removeTestImages(engine.socketPath, environmentBuildStore(db).list(projectUuid).map((b) => b.image), projectUuid);
        db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return { dir, projectDir, db, projectUuid, runtime, sid, client };
    }

    async function run(runtime: Runtime, sid: string, dir: string, name: string, image: string) {
      return runtime.start(servicePlan(installationId, sid, name, { image, command: ['sleep'], args: ['3600'] }), { logFile: join(dir, `${name}.log`) });
    }

    test('a setup script installs a Debian package; a rebuild (build 2) leaves a running build-1 container unchanged', async (t) => {
      const { dir, projectDir, db, projectUuid, runtime, sid, client } = setup(t);
      const env = await createEnvironment(projectDir, {
        name: 'with hello',
        base_image: BASE,
        setupScript: 'set -e\napt-get update -q\napt-get install -y -q --no-install-recommends hello\necho "build one in $(pwd)" > /marker\n',
      });
      const uuid = env.properties.uuid;
      const logged: string[] = [];
      const first = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db, onLog: (l) => logged.push(l) });
      assert.equal(first.number, 1);
      assert.equal(first.status, 'succeeded');
      assert.equal(first.image, `berth-env-${projectUuid}-${uuid}:1`);
      assert.ok(logged.some((l) => /Setting up hello/.test(l)), 'the apt output is in the streamed log');
      assert.equal(environmentBuildStore(db).get(projectUuid, uuid, 1)?.log, logged.join('\n'));
      assert.equal(resolveEnvironmentImage(db, projectUuid, uuid), first.image);

      await runtime.prepareSession(sid, {});
      const old = await run(runtime, sid, dir, 'old', resolveEnvironmentImage(db, projectUuid, uuid));
      const hello = await runtime.exec(old, ['hello']);
      assert.equal(hello.output, 'Hello, world!\n');
      const files = await runtime.exec(old, ['sh', '-c', 'cat /marker /project-dir/data.txt; ls -A /project-dir']);
      assert.equal(files.output, 'build one in /project-dir\nproject data\n.gitignore\ndata.txt\n', 'project baked in without .git, .orchest or ignored files');

      await updateEnvironment(projectDir, uuid, { setupScript: 'echo "build two" > /marker\n' });
      const second = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db });
      assert.equal(second.number, 2);
      assert.equal(resolveEnvironmentImage(db, projectUuid, uuid), `berth-env-${projectUuid}-${uuid}:2`);
      assert.deepEqual(await runtime.inspect(old).then((s) => s.state), 'running');
      assert.equal((await runtime.exec(old, ['cat', '/marker'])).output, 'build one in /project-dir\n');
      const fresh = await run(runtime, sid, dir, 'fresh', second.image);
      assert.equal((await runtime.exec(fresh, ['cat', '/marker'])).output, 'build two\n');

      // Older images go once two newer builds succeeded, unless a container or a session still runs them.
      await updateEnvironment(projectDir, uuid, { setupScript: 'echo "build three" > /marker\n' });
      const thirdLog: string[] = [];
      const third = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db, onLog: (l) => thirdLog.push(l) });
      assert.ok(thirdLog.includes(`berth: kept ${first.image} (build 1): a container still uses it`), thirdLog.slice(-4).join('\n'));
      assert.ok(await imageExists(client, first.image));
      await runtime.stop(old, { graceMs: 0 });
      const fourthLog: string[] = [];
      const fourth = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db, onLog: (l) => fourthLog.push(l), imageInUse: (image) => image === second.image });
      assert.ok(fourthLog.includes(`berth: removed ${first.image} (build 1), no longer needed`), fourthLog.slice(-4).join('\n'));
      assert.ok(fourthLog.includes(`berth: kept ${second.image} (build 2): a running session uses it`));
      assert.deepEqual(
        await Promise.all([first, second, third, fourth].map((b) => imageExists(client, b.image))),
        [false, true, true, true],
      );
      assert.equal(resolveEnvironmentImage(db, projectUuid, uuid), fourth.image);
    });

    test('a broken setup script fails with its log and the previous build stays current', async (t) => {
      const { projectDir, db, projectUuid } = setup(t);
      const env = await createEnvironment(projectDir, { name: 'breaks', base_image: BASE, setupScript: 'echo fine > /marker\n' });
      const uuid = env.properties.uuid;
      const first = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db });
      await updateEnvironment(projectDir, uuid, { setupScript: 'echo "installing the impossible"\nexit 3\n' });
      const error = await buildEnvironment({ builder, projectDir, projectUuid, environmentUuid: uuid, db }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof EnvironmentError, String(error));
      assert.equal(error.code, 'BERTH_ENV_BUILD_FAILED');
      assert.match(error.message, new RegExp(`^build 2 of environment "breaks" \\(${uuid}\\) of project ${projectUuid} failed: .*\\b3\\b`));
      assert.match(error.message, /last lines of the build log:\n(.|\n)*installing the impossible/);
      const failed = environmentBuildStore(db).get(projectUuid, uuid, 2);
      assert.equal(failed?.status, 'failed');
      assert.match(failed?.log ?? '', /installing the impossible/);
      assert.equal(resolveEnvironmentImage(db, projectUuid, uuid), first.image);
    });
  });
}
