/**
 * The compiled CLI (scripts/build.mjs → dist/, run by bin/berth.mjs): it answers like the TypeScript
 * does, loads only what the command needs, falls back to src/ through tsx when src/ changed since the
 * build, and the proxy's data plane never loads the server's packages.
 *
 * It builds a copy of the installation (bin, src, scripts, package.json) in a temporary directory
 * under node_modules/.cache, which finds this checkout's packages, so nobody editing this tree
 * meanwhile can make the dist/ under test stale.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshDist } from '../bin/fresh-dist.mjs';
import { call, startUpstream } from '../src/proxy/fixtures/http.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RECORDER = join(REPO, 'test', 'support', 'record-modules.mjs');
const DEMO = join(REPO, 'examples', 'demo', 'demo.orchest');

/** Packages the Berth server uses and the CLI's quick commands and the proxy must not load. */
const SERVER_PACKAGES = ['fastify', 'better-sqlite3', '@kubernetes/client-node', 'zod', 'pino'];

/** The entry of a build in dist/ (scripts/build.mjs: dist/build-<time>-<pid>/cli.js). */
const DIST_ENTRY = /\/dist\/build-[^/]+\/cli\.js$/;

let install: string;

before(async () => {
  const cache = join(REPO, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  install = await mkdtemp(join(cache, 'berth-dist-test-'));
  await Promise.all(['bin', 'src', 'scripts', 'package.json'].map((path) => cp(join(REPO, path), join(install, path), { recursive: true })));
  const build = spawnSync(process.execPath, [join(install, 'scripts', 'build.mjs')], { cwd: install, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  assert.match(build.stdout, /dist\/: \d+ source files bundled/);
});

after(async () => {
  if (install) await rm(install, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module the process imported (file:// URLs and node: builtins). */
  modules: string[];
}

/** Runs the copy's bin/berth.mjs with the module recorder (test/support/record-modules.mjs). */
async function berth(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const record = join(install, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(RECORDER).href, join(install, 'bin', 'berth.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', BERTH_URL: '', BERTH_FROM_SOURCE: '', BERTH_RECORD_MODULES: record, ...env },
  });
  const modules = (await readFile(record, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { code: child.status, stdout: child.stdout, stderr: child.stderr, modules };
}

/** The packages among module URLs (the installation under test itself sits in node_modules/.cache). */
function packagesIn(modules: string[]): Set<string> {
  const names = modules
    .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url.slice(url.lastIndexOf('/node_modules/')))?.[1])
    .filter((name): name is string => name !== undefined && !name.startsWith('.'));
  return new Set(names);
}

/** Stops a long-running berth with SIGTERM: the recorder writes the CommonJS modules at exit. */
async function stopAndRead(child: ChildProcess, record: string): Promise<string[]> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
  return (await readFile(record, 'utf8')).split('\n').filter(Boolean);
}

function ranFromDist(run: Run): boolean {
  return run.modules.some((url) => DIST_ENTRY.test(url)) && !run.modules.some((url) => url.includes('/src/cli/main.ts'));
}

describe('berth from dist/', () => {
  test('the build is fresh right after it, and --version answers before any of berth loads', async () => {
    assert.ok(freshDist(pathToFileURL(`${install}/`)), 'dist/build.json lists sources newer than the build');
    const run = await berth(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), JSON.parse(await readFile(join(install, 'package.json'), 'utf8')).version);
    assert.deepEqual([...packagesIn(run.modules)], [], 'a package was loaded for --version');
    assert.ok(!run.modules.some((url) => DIST_ENTRY.test(url) || url.includes('/src/cli/')), 'berth itself was loaded for --version');
  });

  test('validate of the demo answers from dist/ and finds the demo valid', async () => {
    const run = await berth(['validate', DEMO]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /demo\.orchest: valid/);
    assert.ok(ranFromDist(run));
    assert.ok(!packagesIn(run.modules).has('fastify'), 'validate loaded the server');
  });

  test('session status loads neither the server nor fetch: it fails fast on an unreachable URL', async () => {
    const run = await berth(['session', 'status', '--url', 'http://127.0.0.1:1']);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /BERTH_CLIENT_UNREACHABLE/);
    assert.ok(ranFromDist(run));
    const loaded = packagesIn(run.modules);
    for (const name of [...SERVER_PACKAGES, 'undici']) assert.ok(!loaded.has(name), `session status loaded ${name}`);
    assert.ok(run.modules.includes('node-internal:internal/fs/utils'), 'the recorder saw no internal module: it is not recording them');
    assert.ok(!run.modules.includes('node-internal:internal/deps/undici/undici'), 'session status used the global fetch');
  });

  test('a source file changed after the build: bin/berth.mjs runs src/ through tsx, same answer', async () => {
    const changed = join(install, 'src', 'cli', 'output.ts');
    const future = new Date(Date.now() + 60_000);
    await utimes(changed, future, future);
    try {
      assert.equal(freshDist(pathToFileURL(`${install}/`)), undefined);
      const run = await berth(['validate', DEMO]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /demo\.orchest: valid/);
      assert.ok(run.modules.some((url) => url.endsWith('/src/cli/main.ts')), 'src/cli/main.ts was not loaded');
      assert.ok(!run.modules.some((url) => DIST_ENTRY.test(url)), 'the stale dist/ was loaded');
    } finally {
      const past = new Date(Date.now() - 3_600_000);
      await utimes(changed, past, past);
    }
  });
});

describe("berth proxy's data plane", () => {
  test('proxies a request without loading fastify, better-sqlite3, the kubernetes client, zod or pino', { timeout: 60_000 }, async (t) => {
    const up = await startUpstream(t);
    const record = join(install, 'proxy-modules.txt');
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(RECORDER).href, join(install, 'bin', 'berth.mjs'), 'proxy', '--port', '0', '--route', `/service-app-dev_8501=http://127.0.0.1:${up.port}`],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', BERTH_FROM_SOURCE: '', BERTH_RECORD_MODULES: record } },
    );
    t.after(() => child.kill('SIGKILL'));
    // Read with 'data' (not a for-await that ends in break): the pipe stays open for the proxy's later lines.
    let output = '';
    child.stdout.setEncoding('utf8');
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const url = /berth proxy listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (url && output.includes('prefix stripped')) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`berth proxy exited ${code}: ${output}`)));
    });
    const answer = await call(`${base}/service-app-dev_8501/hello`);
    assert.equal(answer.body, 'upstream ok');
    const modules = await stopAndRead(child, record);
    assert.ok(ranFromDist({ code: 0, stdout: '', stderr: '', modules }));
    const loaded = packagesIn(modules);
    assert.ok(loaded.has('undici'), 'the recorder saw no undici: it is not recording');
    for (const name of SERVER_PACKAGES) assert.ok(!loaded.has(name), `berth proxy loaded ${name}`);
    // undici's Pool alone (src/proxy/pools.ts), not its index with fetch, WebSocket and caches.
    assert.ok(!modules.some((url) => /\/node_modules\/undici\/index\.js$/.test(url)), "berth proxy loaded undici's whole index");
  });
});

describe('berth serve from dist/', () => {
  test('idle on the local runtime it loads neither the kubernetes client nor what it has not used yet', { timeout: 90_000 }, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-dist-serve-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const record = join(install, 'serve-modules.txt');
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(RECORDER).href, join(install, 'bin', 'berth.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, '--runtime', 'local'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', BERTH_FROM_SOURCE: '', BERTH_RECORD_MODULES: record } },
    );
    t.after(() => child.kill('SIGKILL'));
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0];
        if (found) resolve(found);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`berth serve exited ${code}: ${output}`)));
    });
    const health = await call(`${url}/api/health`);
    assert.match(health.body, /"ok":\s*true/);
    // Found from a chunk of dist/, as from src/: the version package.json says.
    assert.equal((JSON.parse(health.body) as { version: string }).version, JSON.parse(await readFile(join(install, 'package.json'), 'utf8')).version);
    const modules = await stopAndRead(child, record);
    assert.ok(ranFromDist({ code: 0, stdout: '', stderr: '', modules }));
    const loaded = packagesIn(modules);
    assert.ok(loaded.has('fastify') && loaded.has('better-sqlite3'), 'the recorder saw no server package: it is not recording');
    assert.ok(!loaded.has('@kubernetes/client-node'), 'berth serve --runtime local loaded the kubernetes client');
    // Loaded on first use (bench/cli's idle memory): the proxy's undici Pool, Fastify's schema compilers (the routes'
    // schemas compile on their first request), the spec's zod.
    for (const name of ['undici', 'ajv', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'zod']) {
      assert.ok(!loaded.has(name), `an idle berth serve loaded ${name}`);
    }
  });
});
