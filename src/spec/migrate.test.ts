import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { guessPort, migratePipeline, sanitizeEnvVarName } from './migrate.ts';
import { SpecError } from './errors.ts';
import { SERVICE_NAME_PATTERN } from './schema.ts';

function pipeline(version: string | undefined, services: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'p',
    uuid: 'u',
    ...(version === undefined ? {} : { version }),
    steps: {},
    settings: {},
    services,
    ...extra,
  };
}

const current = { exposed: false, requires_authentication: true, ports: [1], image: 'x', scope: ['interactive'] };

describe('migratePipeline', () => {
  test('a file without version is 1.0.0 and ends at 1.2.3', () => {
    const result = migratePipeline(pipeline(undefined, {}));
    assert.equal(result.sourceVersion, '1.0.0');
    assert.equal(result.spec.version, '1.2.3');
    assert.equal(result.changed, true);
    assert.match(result.steps[0] ?? '', /no "version": treated as 1\.0\.0/);
  });

  test('the input is not mutated', () => {
    const input = pipeline('1.0.0', { Redis: { name: 'Redis', image: 'redis', scope: ['interactive'] } });
    const copy = structuredClone(input);
    migratePipeline(input);
    assert.deepEqual(input, copy);
  });

  test('1.2.3 is left alone', () => {
    const input = pipeline('1.2.3', { redis: { ...current, name: 'redis', order: 0 } });
    const result = migratePipeline(input);
    assert.equal(result.changed, false);
    assert.deepEqual(result.steps, []);
    assert.deepEqual(result.spec, input);
  });

  test('unknown versions are refused', () => {
    assert.throws(() => migratePipeline(pipeline('2.0.0', {})), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.code, 'BERTH_SPEC_VERSION_UNKNOWN');
      assert.equal(error.message, 'version: "2.0.0" is not a pipeline version Berth knows');
      return true;
    });
  });

  describe('1.0.0 -> 1.1.0', () => {
    test('adds missing parameters', () => {
      const input = pipeline('1.0.0', {});
      delete input.parameters;
      assert.deepEqual(migratePipeline(input).spec.parameters, {});
    });

    test('sanitises env var names and de-duplicates with _2 like Orchest', () => {
      const input = pipeline('1.0.0', {
        s: { name: 's', image: 'x', scope: [], env_variables: { 'a.b': '1', a_b: '2', 'a b': '3', OK: '4' } },
      });
      const result = migratePipeline(input);
      assert.deepEqual(result.spec.services?.s?.env_variables, { a_b: '1', a_b_2: '2', a_b_2_3: '3', OK: '4' });
      assert.ok(result.steps.includes('1.0.0 -> 1.1.0: services.s.env_variables: renamed "a b" to "a_b_2_3"'));
    });

    test('valid env vars are kept as they are', () => {
      const result = migratePipeline(pipeline('1.0.0', { s: { name: 's', image: 'x', scope: [], env_variables: { A: '1', B: '2' } } }));
      assert.deepEqual(result.spec.services?.s?.env_variables, { A: '1', B: '2' });
    });

    test('sanitises and de-duplicates env_variables_inherit, adds it when missing', () => {
      const result = migratePipeline(pipeline('1.0.0', { s: { name: 's', image: 'x', scope: [], env_variables_inherit: ['X.Y', 'X_Y', 'Z'] }, t: { name: 't', image: 'y', scope: [] } }));
      assert.deepEqual(result.spec.services?.s?.env_variables_inherit, ['X_Y', 'X_Y_2', 'Z']);
      assert.deepEqual(result.spec.services?.t?.env_variables_inherit, []);
    });

    test('renames the R kernel ir to r', () => {
      const input = pipeline('1.0.0', {}, { steps: { a: { uuid: 'a', kernel: { name: 'ir', display_name: 'R' } } } });
      const result = migratePipeline(input);
      assert.equal((result.spec.steps.a?.kernel as { name: string }).name, 'r');
    });

    test('sanitizeEnvVarName replaces every invalid character with _', () => {
      assert.equal(sanitizeEnvVarName('my.var name/ü'), 'my_var_name__');
    });
  });

  describe('1.1.0 -> 1.2.0 (Docker era to Kubernetes era)', () => {
    test('entrypoint becomes command, the old command becomes args', () => {
      const result = migratePipeline(pipeline('1.1.0', { s: { name: 's', image: 'x', scope: [], entrypoint: 'bash', command: "-c 'echo hi'", ports: [1] } }));
      const s = result.spec.services?.s;
      assert.equal(s?.command, 'bash');
      assert.equal(s?.args, "-c 'echo hi'");
      assert.equal('entrypoint' in (s ?? {}), false);
    });

    test('entrypoint alone becomes command', () => {
      const s = migratePipeline(pipeline('1.1.0', { s: { name: 's', image: 'x', scope: [], entrypoint: 'run.sh', ports: [1] } })).spec.services?.s;
      assert.equal(s?.command, 'run.sh');
      assert.equal(s?.args, undefined);
    });

    test('a command without entrypoint stays command', () => {
      const s = migratePipeline(pipeline('1.1.0', { s: { name: 's', image: 'x', scope: [], command: 'serve', ports: [1] } })).spec.services?.s;
      assert.equal(s?.command, 'serve');
      assert.equal(s?.args, undefined);
    });

    const guesses: Array<[string, number]> = [
      ['redis:6', 6379],
      ['postgres', 5432],
      ['orchest/streamlit', 8501],
      ['MySQL:8', 3306],
      ['rabbitmq:3-management', 5672],
      ['tensorflow/tensorflow', 6006],
      ['voila-dashboards/voila', 8866],
      ['ghcr.io/mlflow/mlflow', 5000],
      ['rocker/shiny', 8000],
      ['nginx', 8080],
    ];
    for (const [image, port] of guesses) {
      test(`guesses port ${port} for image ${image}`, () => {
        const result = migratePipeline(pipeline('1.1.0', { s: { name: 's', image, scope: [] } }));
        assert.deepEqual(result.spec.services?.s?.ports, [port]);
        assert.ok(result.steps.includes(`1.1.0 -> 1.2.0: services.s: guessed ports [${port}] from image "${image}"`));
        assert.equal(guessPort(image), port);
      });
    }

    test('first matching substring wins (redis before postgres)', () => {
      assert.equal(guessPort('redis-postgres-bridge'), 6379);
    });

    test('declared ports are kept; empty ports are guessed', () => {
      const result = migratePipeline(pipeline('1.1.0', { a: { name: 'a', image: 'redis', scope: [], ports: [7000] }, b: { name: 'b', image: 'redis', scope: [], ports: [] } }));
      assert.deepEqual(result.spec.services?.a?.ports, [7000]);
      assert.deepEqual(result.spec.services?.b?.ports, [6379]);
    });

    test('exposed defaults to false and requires_authentication to true, existing values kept', () => {
      const result = migratePipeline(
        pipeline('1.1.0', { a: { name: 'a', image: 'x', scope: [], ports: [1] }, b: { name: 'b', image: 'x', scope: [], ports: [1], exposed: true, requires_authentication: false } }),
      );
      assert.equal(result.spec.services?.a?.exposed, false);
      assert.equal(result.spec.services?.a?.requires_authentication, true);
      assert.equal(result.spec.services?.b?.exposed, true);
      assert.equal(result.spec.services?.b?.requires_authentication, false);
    });
  });

  describe('1.2.0 -> 1.2.1 (order)', () => {
    test('fills missing orders after the highest, in key order', () => {
      const result = migratePipeline(
        pipeline('1.2.0', { zeta: { ...current, name: 'zeta' }, alpha: { ...current, name: 'alpha' }, mid: { ...current, name: 'mid', order: 5 } }),
      );
      const orders = Object.fromEntries(Object.entries(result.spec.services ?? {}).map(([k, s]) => [k, s.order]));
      assert.deepEqual(orders, { zeta: 7, alpha: 6, mid: 5 });
    });

    test('starts at 0 when no service has an order', () => {
      const result = migratePipeline(pipeline('1.2.0', { b: { ...current, name: 'b' }, a: { ...current, name: 'a' } }));
      assert.equal(result.spec.services?.a?.order, 0);
      assert.equal(result.spec.services?.b?.order, 1);
    });

    test('bumps an order equal to the previous one', () => {
      const result = migratePipeline(pipeline('1.2.0', { a: { ...current, name: 'a', order: 1 }, b: { ...current, name: 'b', order: 1 }, c: { ...current, name: 'c' } }));
      assert.deepEqual([result.spec.services?.a?.order, result.spec.services?.b?.order, result.spec.services?.c?.order], [1, 2, 3]);
    });
  });

  describe('1.2.1 -> 1.2.2 (names)', () => {
    test('lowercases, strips leading non-letters, truncates to 26 and re-keys', () => {
      const long = `9_${'A'.repeat(30)}`;
      const result = migratePipeline(pipeline('1.2.1', { VSCode: { ...current, name: 'VSCode', order: 0 }, [long]: { ...current, name: long, order: 1 } }));
      const services = result.spec.services ?? {};
      assert.deepEqual(Object.keys(services).sort(), ['a'.repeat(26), 'vscode']);
      assert.equal(services.vscode?.name, 'vscode');
      assert.equal(services['a'.repeat(26)]?.name, 'a'.repeat(26));
      assert.ok(result.steps.some((s) => s.startsWith('1.2.1 -> 1.2.2: services.VSCode: renamed "VSCode" to "vscode"')));
    });

    test('falls back to a uuid-based valid name on collision', () => {
      const result = migratePipeline(
        pipeline('1.2.1', { '1vscode': { ...current, name: '1vscode', order: 0 }, '2vscode': { ...current, name: '2vscode', order: 1 }, Redis: { ...current, name: 'Redis', order: 2 }, redis: { ...current, name: 'redis', order: 3 } }),
      );
      const names = Object.keys(result.spec.services ?? {});
      assert.equal(names.length, 4);
      assert.ok(names.includes('redis'));
      assert.equal(result.spec.services?.redis?.order, 3, 'the unchanged redis keeps its place');
      for (const name of names) {
        assert.match(name, SERVICE_NAME_PATTERN);
        assert.equal(result.spec.services?.[name]?.name, name);
      }
      assert.equal(names.filter((n) => n.startsWith('s') && n.length === 26).length, 3);
    });

    test('valid names are not touched', () => {
      const result = migratePipeline(pipeline('1.2.1', { redis: { ...current, name: 'redis', order: 0 } }));
      assert.equal(result.steps.some((s) => s.includes('renamed')), false);
    });
  });

  describe('1.2.2 -> 1.2.3', () => {
    test('sets settings.max_steps_parallelism to 0', () => {
      const result = migratePipeline(pipeline('1.2.2', {}, { settings: { auto_eviction: true } }));
      assert.deepEqual(result.spec.settings, { auto_eviction: true, max_steps_parallelism: 0 });
      assert.deepEqual(result.steps, ['1.2.2 -> 1.2.3: set "settings.max_steps_parallelism": 0 (no limit)']);
    });
  });

  test('unknown fields survive every migration', () => {
    const result = migratePipeline(pipeline('1.0.0', { s: { name: 's', image: 'redis', scope: ['interactive'], x_note: 'keep me' } }, { x_top: [1, 2] }));
    assert.equal(result.spec.services?.s?.x_note, 'keep me');
    assert.deepEqual(result.spec.x_top, [1, 2]);
  });

  test('malformed input does not crash the migration', () => {
    const result = migratePipeline({ version: '1.0.0', steps: 'nope', services: { a: 'not an object', b: null } } as Record<string, unknown>);
    assert.equal(result.spec.version, '1.2.3');
  });
});
