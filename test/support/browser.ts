/**
 * Debian's Chromium for end-to-end tests, driven by playwright-core: the one place that knows
 * its path, the flags this closed network needs, and how the built UI is made available.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Requirement } from './requirements.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumRequirement: Requirement = { ok: existsSync(CHROMIUM), what: 'Chromium at /usr/bin/chromium', fix: 'apt-get install chromium' };
const ROOT = new URL('../..', import.meta.url).pathname;

/** Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser, then removes its profile (after Chromium stopped writing to it). */
  close(): Promise<void>;
}

/** A fresh profile at 1280x800. Callers register `close` in their own hook order. */
export async function openChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'berth-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The UI is built by `npm test` first; a targeted run builds it when it is missing. */
export function ensureUiBuilt(): void {
  if (existsSync(join(ROOT, 'web', 'dist', 'index.html'))) return;
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `building the UI failed:\n${build.stdout}\n${build.stderr}`);
}

/**
 * The built UI in a fresh Chromium for one test, with `timeoutMs` for every wait. The browser is
 * closed in the test's after hook: open it before starting the server, so the page's streams
 * end before the server closes (hooks run in the order they were registered).
 */
export async function openUi(t: { after: (fn: () => Promise<void>) => void }, timeoutMs = 20_000): Promise<BrowserContext> {
  ensureUiBuilt();
  const browser = await openChromium();
  t.after(() => browser.close());
  browser.context.setDefaultTimeout(timeoutMs);
  return browser.context;
}
