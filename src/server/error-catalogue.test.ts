/**
 * The catalogues against the code: every `'BERTH_…'` code the source uses is declared in exactly
 * one catalogue, every declared code is used, and every status is an HTTP error status. A new throw
 * site with an undeclared code already fails the type-check; this also catches codes written into
 * JSON bodies by hand, codes left behind by a fold, and a code declared by two layers.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join, relative } from 'node:path';
import type { ErrorCatalogue } from '../shared/index.ts';
import { CLI_CODES } from '../cli/errors.ts';
import { CLIENT_CODES, SDK_CODES } from '../sdk/index.ts';
import { PROXY_CODES } from '../proxy/index.ts';
import { SPEC_CODES, THROWN_DIAGNOSTIC_CODES } from '../spec/index.ts';
import { MESSAGES } from '../spec/messages.ts';
import { SERVER_CATALOGUES } from './error-catalogue.ts';

const SRC = new URL('..', import.meta.url).pathname;

/** Every catalogue by layer: the server's, plus the CLI's and the clients', which never reach it. */
const CATALOGUES: Readonly<Record<string, ErrorCatalogue>> = { ...SERVER_CATALOGUES, cli: CLI_CODES, sdk: SDK_CODES, client: CLIENT_CODES };

/**
 * `BERTH_…` string literals that are not error codes: environment variable names. Kept short on
 * purpose; a new one is added here by hand, so a mistyped code never passes for a variable.
 */
const NOT_CODES = new Set(['BERTH_LOCAL_ISOLATION', 'BERTH_PORT', 'BERTH_RUN_UUID', 'BERTH_TOKEN', 'BERTH_URL']);

/** Files whose quoted codes declare them instead of using them (their uses go through PROXY_CODES / THROWN_DIAGNOSTIC_CODES). */
const DECLARING_FILES = new Set(['proxy/errors.ts', 'spec/codes.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Code → the files that use it, from '…' and "…" literals (backticks quote codes in comments; a
 * trailing `_` is a prefix test, not a code).
 */
function usedCodes(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const name = relative(SRC, file);
    if (DECLARING_FILES.has(name)) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(['"])(BERTH_[A-Z0-9_]*[A-Z0-9])\1/g)) {
      const code = match[2] as string;
      if (NOT_CODES.has(code)) continue;
      used.set(code, [...(used.get(code) ?? []), name]);
    }
    for (const match of text.matchAll(/PROXY_CODES\.(\w+)/g)) {
      const code = PROXY_CODES[match[1] as keyof typeof PROXY_CODES];
      if (code && name !== 'proxy/errors.ts') used.set(code, [...(used.get(code) ?? []), name]);
    }
  }
  return used;
}

/** Code → the layers that declare it; the diagnostics of messages.ts are the spec layer's second catalogue. */
function declarations(): Map<string, string[]> {
  const declared = new Map<string, string[]>();
  const add = (code: string, layer: string): void => void declared.set(code, [...(declared.get(code) ?? []), layer]);
  for (const [layer, catalogue] of Object.entries(CATALOGUES)) {
    if (layer === 'diagnostics') continue;
    for (const code of Object.keys(catalogue)) add(code, layer);
  }
  for (const code of Object.keys(MESSAGES)) add(code, 'diagnostics (spec/messages.ts)');
  return declared;
}

describe('error catalogues', () => {
  const used = usedCodes();
  const declared = declarations();

  test('the scan finds the codes (a broken pattern would pass everything below)', () => {
    assert.ok(used.size > 150, `only ${used.size} codes found`);
    assert.ok(used.has('BERTH_RUNTIME_PORT_IN_USE'));
    assert.ok(used.has('BERTH_PROXY_NOT_FOUND'), 'proxy codes are used through PROXY_CODES');
  });

  test('every code the source uses is declared in a catalogue', () => {
    const undeclared = [...used].filter(([code]) => !declared.has(code)).map(([code, files]) => `${code} (${[...new Set(files)].join(', ')})`);
    assert.deepEqual(undeclared, [], 'declare these in their layer\'s catalogue, or fold them into a code that is');
  });

  test('every code is declared once, by one layer', () => {
    const twice = [...declared].filter(([, layers]) => layers.length > 1).map(([code, layers]) => `${code}: ${layers.join(', ')}`);
    assert.deepEqual(twice, []);
  });

  test('every declared code is used', () => {
    const unused = [...declared.keys()].filter((code) => !used.has(code));
    assert.deepEqual(unused, [], 'remove these from their catalogue, or throw them where their cause is');
  });

  test('a diagnostic thrown as a SpecError is declared as a diagnostic, not again as a SpecError code', () => {
    for (const code of THROWN_DIAGNOSTIC_CODES) {
      assert.ok(Object.hasOwn(MESSAGES, code), code);
      assert.ok(!Object.hasOwn(SPEC_CODES, code), code);
    }
  });

  test('every code has an HTTP error status, a summary, and its message and hint in the catalogue', () => {
    for (const [layer, catalogue] of Object.entries(CATALOGUES)) {
      for (const [code, spec] of Object.entries(catalogue)) {
        assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599 && STATUS_CODES[spec.status], `${layer} ${code}: ${spec.status}`);
        assert.ok(spec.summary.length > 10, `${layer} ${code} needs a summary of its cause`);
        assert.equal(typeof spec.message, 'function', `${layer} ${code} needs its message`);
        assert.ok(spec.hint === undefined || typeof spec.hint === 'function', `${layer} ${code}: hint`);
      }
    }
  });

  test('every CLI code says its exit code (1 input, 2 usage, 3 failed)', () => {
    for (const [code, spec] of Object.entries(CLI_CODES)) assert.ok([1, 2, 3].includes(spec.exit), code);
  });
});
