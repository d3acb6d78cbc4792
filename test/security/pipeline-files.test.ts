// Hostile pipeline files (issue 18, point 3): each class is refused at validation with its own code
// and the field path, before anything runs; never BERTH_INTERNAL or a raw Node error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadPipelineFile, parsePipeline, validatePipeline, type Diagnostic } from '../../src/spec/index.ts';
import { tempDir } from '../support/berth.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function pipeline(extra: Record<string, unknown> = {}, services: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  const full = Object.fromEntries(
    Object.entries(services).map(([name, service], order) => [name, { name, image: 'redis:7', scope: ['interactive'], ports: [6379], exposed: false, order, ...service }]),
  );
  return { uuid: 'u-1', name: 'p', version: '1.2.3', steps: {}, services: full, ...extra };
}

function errors(diagnostics: Diagnostic[]): Array<[string, string]> {
  return diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path]);
}

describe('hostile pipeline files', () => {
  test('a field nested 3,000 deep: `berth validate` names the code and path, not BERTH_INTERNAL', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'deep.orchest');
    // Built as text: JSON.stringify itself would overflow on the nested value.
    const body = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    await writeFile(file, `{"uuid":"u","name":"n","version":"1.2.3","steps":{},"settings":{"x":${body}}}`);
    const result = spawnSync(process.execPath, ['bin/berth.mjs', 'validate', file], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /error +settings\.x(\.a){62} nests objects and lists more than 64 levels deep \[BERTH_SPEC_TOO_DEEP\]/);
    assert.doesNotMatch(`${result.stdout}${result.stderr}`, /BERTH_INTERNAL|Maximum call stack/);
  });

  test('a file over 1 MiB is refused before it is read', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'big.orchest');
    await writeFile(file, JSON.stringify(pipeline({ parameters: { blob: 'x'.repeat(1024 * 1024) } })));
    const loaded = await loadPipelineFile(file);
    assert.deepEqual(errors(loaded.diagnostics), [['BERTH_SPEC_FILE_TOO_LARGE', '']]);
    assert.match(loaded.diagnostics[0]?.message ?? '', /the file is too large: 10\d{5} bytes; Berth reads pipeline files of up to 1048576 bytes/);
  });

  test('10,000 services are refused at validation in under 1 s (BERTH_SPEC_TOO_MANY_SERVICES)', (t) => {
    // Short services, so the file stays under the 1 MiB file limit and the services limit is what answers.
    const services: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 10_000; i++) services[`s${i}`] = { name: `s${i}`, image: 'r', ports: [1000 + i], depends_on: i > 0 ? [`s${i - 1}`] : [] };
    const text = JSON.stringify({ ...pipeline(), services });
    const started = performance.now();
    const loaded = parsePipeline(text, 'many.orchest');
    const elapsed = performance.now() - started;
    t.diagnostic(`10,000-service file (${(text.length / 1024).toFixed(0)} KiB) refused in ${elapsed.toFixed(1)} ms`);
    assert.deepEqual(errors(loaded.diagnostics), [['BERTH_SPEC_TOO_MANY_SERVICES', 'services']]);
    assert.match(loaded.diagnostics[0]?.message ?? '', /services lists 10000 services; a pipeline may have at most 200/);
    // The bound, asked for explicitly; the figure is printed above.
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  test('200 services are still accepted', () => {
    const services: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 200; i++) services[`s${i}`] = { ports: [1000 + i] };
    assert.deepEqual(errors(parsePipeline(JSON.stringify(pipeline({}, services)), 'ok.orchest').diagnostics), []);
  });

  test('bind targets with ".." are refused; "//data/./x/" is fine', () => {
    const loaded = parsePipeline(
      JSON.stringify(pipeline({}, { web: { binds: { '/data': '/../../../../outside', '/project-dir': '//work/./project/' } } })),
      'binds.orchest',
    );
    assert.deepEqual(errors(loaded.diagnostics), [['BERTH_SPEC_BIND_TARGET_DOTS', 'services.web.binds["/data"]']]);
    assert.match(loaded.diagnostics[0]?.message ?? '', /"\/\.\.\/\.\.\/\.\.\/\.\.\/outside" climbs out with a "\.\." segment/);
  });

  test('NUL bytes in any string or key are refused with their path', () => {
    const loaded = parsePipeline(
      JSON.stringify(pipeline({ name: 'p\u0000' }, { web: { command: 'redis-server\u0000', env_variables: { A: 'x\u0000y' } } })),
      'nul.orchest',
    );
    assert.deepEqual(
      errors(loaded.diagnostics).filter(([code]) => code === 'BERTH_SPEC_NUL_BYTE').map(([, path]) => path).sort(),
      ['name', 'services.web.command', 'services.web.env_variables.A'],
    );
    assert.match(loaded.diagnostics.find((d) => d.path === 'name')?.message ?? '', /name: "p\\\\0" contains a NUL byte/);
  });

  test('3 MB of args and oversized env are refused at validation, not as spawn E2BIG later', () => {
    // Through validatePipeline, as an API body is checked: in a file, 3 MB is already over the file size.
    const diagnostics = validatePipeline(
        pipeline({}, {
          web: {
            command: 'redis-server',
            args: 'a '.repeat(1_500_000),
            env_variables: { BIG: 'v'.repeat(200 * 1024), ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`E${i}`, 'w'.repeat(100 * 1024)])) },
          },
        }),
      'args.orchest',
    );
    assert.deepEqual(errors(diagnostics), [
      ['BERTH_SPEC_ARGS_TOO_LARGE', 'services.web.args'],
      ['BERTH_SPEC_ENV_TOO_LARGE', 'services.web.env_variables.BIG'],
      ['BERTH_SPEC_ENV_TOO_LARGE', 'services.web.env_variables'],
    ]);
    assert.match(diagnostics[0]?.message ?? '', /command and args together are too large to start a process: 2930 KiB > 128 KiB/);
  });

  test('BASH_ENV, ENV, SHELLOPTS and BASHOPTS are refused in env_variables and env_variables_inherit', () => {
    const loaded = parsePipeline(
      JSON.stringify(pipeline({}, { web: { env_variables: { BASH_ENV: '/tmp/x', ENV: '/tmp/y', OK: '1' }, env_variables_inherit: ['SHELLOPTS', 'HOME'] } })),
      'env.orchest',
    );
    assert.deepEqual(errors(loaded.diagnostics).sort(), [
      ['BERTH_SPEC_ENV_RESERVED', 'services.web.env_variables.BASH_ENV'],
      ['BERTH_SPEC_ENV_RESERVED', 'services.web.env_variables.ENV'],
      ['BERTH_SPEC_ENV_RESERVED', 'services.web.env_variables_inherit[0]'],
    ]);
    assert.match(loaded.diagnostics[0]?.message ?? '', /"BASH_ENV" is read by the shell that starts the service/);
  });
});
