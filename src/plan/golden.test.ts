/**
 * Golden plans: the full SessionPlan JSON for fixed inputs, pinned in src/plan/golden/*.json.
 * A change to naming, argv, env, mounts, routes, readiness or hashing shows up here as a diff to
 * review. Regenerate after an intended change with `UPDATE_GOLDEN=1 node scripts/run-tests.mjs src/plan`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { planSession } from './index.ts';
import type { SessionContext } from './index.ts';
import { loadPipelineFile } from '../spec/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import { context, ENVIRONMENT_UUID, extensionsPipeline, RUN_UUID, templatesPipeline, EXTENSIONS_PIPELINE_UUID } from './fixtures.ts';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);

interface GoldenCase {
  name: string;
  spec: () => PipelineSpec | Promise<PipelineSpec>;
  ctx: SessionContext;
}

/** The legacy example goes through the real loader, so the golden pins migration (orchest-compatibility.md: Migrations) and planning together. */
async function legacyExample(): Promise<PipelineSpec> {
  const loaded = await loadPipelineFile(fileURLToPath(new URL('../../examples/legacy/legacy.orchest', import.meta.url)));
  assert.equal(loaded.sourceVersion, '1.0.0');
  assert.ok(loaded.spec, `the legacy example loads: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.spec;
}

const cases: GoldenCase[] = [
  { name: 'templates-interactive', spec: templatesPipeline, ctx: context() },
  { name: 'templates-noninteractive', spec: templatesPipeline, ctx: context({ sessionType: 'noninteractive', runUuid: RUN_UUID, projectDir: `/home/user/.berth/runs/${RUN_UUID}` }) },
  { name: 'legacy-1.0.0-interactive', spec: legacyExample, ctx: context({ pipelineUuid: '2d9f6a1b-7c3e-4b8d-a5f2-9e1c0b4d7a63', pipelinePath: 'legacy.orchest', projectDir: '/home/user/projects/legacy' }) },
  {
    name: 'extensions-noninteractive',
    spec: extensionsPipeline,
    ctx: context({
      pipelineUuid: EXTENSIONS_PIPELINE_UUID,
      pipelinePath: 'pipelines/extensions.orchest',
      sessionType: 'noninteractive',
      runUuid: RUN_UUID,
      userEnv: { DB_PASSWORD: 's3cret', UNRELATED: 'not inherited' },
      environmentImages: { [ENVIRONMENT_UUID]: 'berth-env-766907b5-9d4a5f3e:3' },
    }),
  },
];

describe('golden session plans', () => {
  for (const golden of cases) {
    test(`${golden.name} matches golden/${golden.name}.json`, async () => {
      const actual = `${JSON.stringify(planSession(await golden.spec(), golden.ctx), null, 2)}\n`;
      const file = new URL(`${golden.name}.json`, GOLDEN_DIR);
      if (process.env.UPDATE_GOLDEN === '1') {
        await writeFile(file, actual);
        return;
      }
      const expected = await readFile(file, 'utf8').catch(() => {
        throw new Error(`golden/${golden.name}.json is missing: run UPDATE_GOLDEN=1 node scripts/run-tests.mjs src/plan and review it`);
      });
      assert.equal(actual, expected, `the plan for ${golden.name} changed: review, then UPDATE_GOLDEN=1 to accept`);
    });
  }
});
