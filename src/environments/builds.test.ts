/**
 * The builds' lifecycle without an engine (a builder that waits for the test): a build runs in the
 * background under the next number, a follower gets the lines so far and then each new one, a
 * cancel ends it as cancelled, and only a running build can be cancelled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ImageBuilder, ImageBuildRequest } from '../runtime/index.ts';
import { openDatabase } from '../store/index.ts';
import { EnvironmentBuilds } from './builds.ts';
import { createEnvironment } from './definitions.ts';
import { environmentMigrations } from './store.ts';

/** Says one line, then waits until `finish()` (or a cancel) ends the build. */
class WaitingBuilder implements ImageBuilder {
  readonly description = 'a test builder';
  #finish: (() => void) | undefined;

  async build(request: ImageBuildRequest): Promise<{ image: string }> {
    request.onLog('step 1/2');
    await new Promise<void>((resolve, reject) => {
      this.#finish = resolve;
      if (request.signal?.aborted) reject(new Error('aborted'));
      request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    request.onLog('step 2/2');
    return { image: `${request.tag}-built` };
  }

  finish(): void {
    this.#finish?.();
  }
}

async function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-builds-'));
  const db = openDatabase(':memory:', [environmentMigrations]);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const environment = await createEnvironment(dir, { name: 'python', base_image: 'debian:bookworm' });
  return { builds: new EnvironmentBuilds({ db }), project: { uuid: randomUUID(), path: dir }, env: environment.properties.uuid };
}

/** Until the builder said its first line (the build reads the environment's files first). */
async function started(builds: EnvironmentBuilds, projectUuid: string, env: string, number: number) {
  for (let i = 0; i < 200; i++) {
    const live = builds.live(projectUuid, env, number);
    if (live?.lines.includes('step 1/2')) return live;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`build ${number} did not start`);
}

function untilDone(live: { done: boolean; follow: (onLine: (line: string) => void, onDone: () => void) => () => void }, lines: string[]): Promise<void> {
  return new Promise((resolve) => (live.done ? resolve() : live.follow((line) => lines.push(line), resolve)));
}

test('a build runs in the background; a follower reads the lines so far, then the rest; the record keeps the image', async (t) => {
  const { builds, project, env } = await setup(t);
  const builder = new WaitingBuilder();
  assert.deepEqual(builds.start(project, env, builder), { number: 1, status: 'building' });
  const live = await started(builds, project.uuid, env, 1);
  assert.equal(live.done, false);
  assert.match(live.lines[0] ?? '', /^berth: building environment "python"/, 'the lines so far, from the first');
  const later: string[] = [];
  const done = untilDone(live, later);
  builder.finish();
  await done;
  assert.ok(later.includes('step 2/2'), later.join('\n'));
  const build = builds.get(project.uuid, env, 1);
  assert.equal(build?.status, 'succeeded');
  assert.equal(builds.summary(project.uuid, env).currentImage, build?.image);
  assert.deepEqual(await builds.cancel(project.uuid, env, 1), { problem: 'not running' });
  assert.deepEqual(await builds.cancel(project.uuid, env, 7), { problem: 'not found' });
});

test('a cancel ends the running build as cancelled and keeps no image current', async (t) => {
  const { builds, project, env } = await setup(t);
  builds.start(project, env, new WaitingBuilder());
  await started(builds, project.uuid, env, 1);
  const cancelled = await builds.cancel(project.uuid, env, 1);
  assert.ok('build' in cancelled);
  assert.equal(cancelled.build?.status, 'cancelled');
  assert.equal(builds.summary(project.uuid, env).currentImage, null);
  assert.equal(builds.start(project, env, new WaitingBuilder()).number, 2, 'the next build takes the next number');
  await started(builds, project.uuid, env, 2);
  await builds.cancel(project.uuid, env, 2);
});
