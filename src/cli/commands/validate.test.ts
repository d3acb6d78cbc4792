// `berth validate`, `berth migrate` and `berth schema` through the real entry point, as users run them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/berth.mjs', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('berth validate', () => {
  test('reports every mistake of ten-mistakes.orchest with its path, and exits 1', () => {
    const { status, stdout } = berth('validate', 'examples/invalid/ten-mistakes.orchest');
    assert.equal(status, 1);
    assert.match(stdout, /^examples\/invalid\/ten-mistakes\.orchest: invalid: 18 errors, 1 warning$/m);
    const expected = [
      'services.Redis.name: "Redis" is not a valid service name',
      'services.cache.exposed must be a boolean, not the number 1',
      'services.cache.ports[0]: 70000 is outside the port range',
      'services.cache.ports[2] repeats port 11211',
      'services.cache.scope is empty, so the service would never start',
      'services.web.binds["/home"] is not a bind source Berth can mount',
      'services.web.binds["/project-dir"]: "srv" is not an absolute path',
      'services.web.env_variables["MY VAR"]: "MY VAR" is not a valid environment variable name',
      'services.web.env_variables.PORT must be a string, not the number 8080',
      'services.web.scope[1]: "sometimes" is not a scope',
      'services.web.order: 2 is also the order of service "cache"',
      'services.web.depends_on[0] names "db", which is not a service of this pipeline',
      "services.web.readiness.port: 9999 is not one of the service's ports",
      'services.api.name: "api" is a reserved service name',
      'services.api.image: "environment@not-a-uuid" is not a well-formed environment reference',
      'services.toolbox.name is "tools" but the service is listed under the key "toolbox"',
      'services.toolbox.image is empty',
      'services.toolbox.ports is empty',
    ];
    for (const line of expected) assert.ok(stdout.includes(`  error   ${line} [BERTH_SPEC_`), `missing: ${line}\n${stdout}`);
    assert.ok(stdout.includes('  warning services.web.command: "python3 -m http.server" contains spaces'));
    assert.equal((stdout.match(/hint:/g) ?? []).length, 19, 'every finding has a hint');
  });

  test('valid files exit 0; an old one says it was migrated in memory', () => {
    const { status, stdout } = berth('validate', 'examples/demo/demo.orchest', 'examples/legacy/legacy.orchest');
    assert.equal(status, 0, stdout);
    assert.match(stdout, /^examples\/demo\/demo\.orchest: valid$/m);
    assert.match(stdout, /^examples\/legacy\/legacy\.orchest: valid$/m);
    assert.match(stdout, /version 1\.0\.0, migrated to 1\.2\.3 in memory; `berth migrate examples\/legacy\/legacy\.orchest --yes` rewrites the file/);
  });

  test('--json lists each file with its diagnostics; one bad file fails the run', () => {
    const { status, stdout } = berth('validate', '--json', 'examples/redis/redis.orchest', 'examples/invalid/ten-mistakes.orchest', 'examples/nope.orchest');
    assert.equal(status, 1);
    const report = JSON.parse(stdout) as { valid: boolean; files: Array<{ file: string; valid: boolean; diagnostics: Array<{ code: string; path: string }> }> };
    assert.equal(report.valid, false);
    assert.deepEqual(report.files.map((f) => f.valid), [true, false, false]);
    assert.equal(report.files[1]?.diagnostics.filter((d) => d.code !== 'BERTH_SPEC_COMMAND_SPACES').length, 18);
    assert.equal(report.files[2]?.diagnostics[0]?.code, 'BERTH_SPEC_READ_FAILED');
  });
});

describe('berth migrate', () => {
  test('shows the diff, writes only with --yes, then says the file is current', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'legacy.orchest');
    await copyFile(join(root, 'examples/legacy/legacy.orchest'), file);
    const original = await readFile(file, 'utf8');

    const dry = berth('migrate', file);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /: version 1\.0\.0 -> 1\.2\.3/);
    assert.match(dry.stdout, /1\.1\.0 -> 1\.2\.0: services\.Streamlit: renamed "entrypoint" to "command"/);
    assert.match(dry.stdout, /^- {12}"entrypoint": "bash",$/m);
    assert.match(dry.stdout, /^\+ {12}"command": "bash",$/m);
    assert.match(dry.stdout, /not written; run again with --yes to write it/);
    assert.equal(await readFile(file, 'utf8'), original);

    const wet = berth('migrate', file, '--yes');
    assert.equal(wet.status, 0, wet.stderr);
    assert.match(wet.stdout, /written/);
    const migrated = JSON.parse(await readFile(file, 'utf8')) as { version: string; services: Record<string, { ports: number[] }> };
    assert.equal(migrated.version, '1.2.3');
    assert.deepEqual(migrated.services.streamlit?.ports, [8501]);
    assert.deepEqual(await readdir(dir), ['legacy.orchest']);

    const again = berth('migrate', file);
    assert.equal(again.status, 0);
    assert.equal(again.stdout, `${file} is already at version 1.2.3: nothing to migrate\n`);
  });
});

describe('berth schema', () => {
  test('prints the checked-in JSON Schema', async () => {
    const { status, stdout } = berth('schema');
    assert.equal(status, 0);
    assert.equal(stdout, await readFile(join(root, 'schema/pipeline.schema.json'), 'utf8'));
  });
});

describe('berth validate --runtime', () => {
  test('kubernetes also refuses the env names its API server rejects; other runtimes take them, as Orchest did', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-validate-runtime-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'digits.orchest');
    const service = { name: 'redis', image: 'redis:7', scope: ['interactive'], ports: [6379], exposed: false, order: 0, env_variables: { '1ST_NAME': 'x' } };
    await writeFile(file, JSON.stringify({ name: 'p', uuid: 'u', version: '1.2.3', steps: {}, services: { redis: service } }));
    assert.equal(berth('validate', file).status, 0);
    const refused = berth('validate', '--runtime', 'kubernetes', '--json', file);
    assert.equal(refused.status, 1);
    const [report] = (JSON.parse(refused.stdout) as { files: { diagnostics: { code: string; path: string }[] }[] }).files;
    assert.deepEqual(report?.diagnostics.map((d) => [d.code, d.path]), [['BERTH_SPEC_ENV_NAME_KUBERNETES', 'services.redis.env_variables["1ST_NAME"]']]);
  });

  test('local also refuses two services of one session on one port, which docker and kubernetes give their own addresses', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-validate-runtime-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'shared.orchest');
    const service = (name: string, order: number) => ({ name, image: 'python', scope: ['interactive'], ports: [8080], exposed: false, order });
    await writeFile(file, JSON.stringify({ name: 'p', uuid: 'u', version: '1.2.3', steps: {}, services: { first: service('first', 0), second: service('second', 1) } }));
    for (const runtime of ['docker', 'kubernetes']) assert.equal(berth('validate', '--runtime', runtime, file).status, 0, runtime);
    const refused = berth('validate', '--runtime', 'local', file);
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /error {3}services\.second\.ports\[0\]: port 8080 is also a port of service "first", and both start in sessions: .* \[BERTH_SPEC_PORT_SHARED_LOCAL\]/);
    assert.match(refused.stdout, /hint: change one of the two ports/);
  });
});
