import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreStore, ProjectRecord } from '../store/index.ts';
import { Projects } from './projects.ts';

function pipelineText(services: Record<string, unknown>): string {
  return JSON.stringify({ name: 'p', uuid: '0d6c7d2a-5f1e-4c3b-9a8d-1e2f3a4b5c6d', version: '1.2.3', steps: {}, parameters: {}, settings: {}, services });
}

const redis = (port: number) => ({ name: 'redis', image: 'redis', scope: ['interactive'], ports: [port], exposed: false, order: 0 });

test('a pipeline file is parsed again only when it changed; every caller gets its own copy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-projects-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'main.orchest');
  writeFileSync(file, pipelineText({ redis: redis(6379) }));
  const projects = new Projects({} as CoreStore, join(dir, 'projects'), {}, 'local');
  const project: ProjectRecord = { uuid: 'u', name: 'p', path: dir, createdAt: '' };

  const [first] = await projects.pipelines(project);
  assert.deepEqual(first!.loaded.spec?.services?.redis?.ports, [6379]);
  first!.loaded.spec!.services.redis!.ports = [1];
  const [again] = await projects.pipelines(project);
  assert.deepEqual(again!.loaded.spec?.services?.redis?.ports, [6379], "a caller's change to its copy is not the next caller's");

  // The editor's save: a new file renamed over the old one.
  writeFileSync(`${file}.tmp`, pipelineText({ redis: redis(6380) }));
  renameSync(`${file}.tmp`, file);
  const [saved] = await projects.pipelines(project);
  assert.deepEqual(saved!.loaded.spec?.services?.redis?.ports, [6380], 'the changed file is read again');

  // Written in place with the same size: mtime (ns) still tells.
  writeFileSync(file, pipelineText({ redis: redis(6381) }));
  const [inPlace] = await projects.pipelines(project);
  assert.deepEqual(inPlace!.loaded.spec?.services?.redis?.ports, [6381]);
});
