/**
 * A real web app behind Berth's proxy, in a real browser: Jupyter Notebook from Debian as a
 * service with preserve_base_path and its base_url from $BASE_PATH_PREFIX_<port>. Chromium is
 * sent to the service URL without a login, goes through Berth's login page and comes back, opens
 * a notebook, and runs a cell on a Python kernel (kernel traffic is WebSockets through the proxy).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './support/ports.ts';
import { startTestServer, tempDir, writePipeline } from './support/berth.ts';
import { skipUnless, type Requirement } from './support/requirements.ts';
import { chromiumRequirement, openChromium } from './support/browser.ts';

const jupyter: Requirement = {
  ok: existsSync('/usr/bin/jupyter-notebook'),
  what: "Debian's Jupyter Notebook",
  fix: 'apt-get install jupyter-notebook python3-ipykernel',
};

const NOTEBOOK = {
  cells: [{ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: ['print(6 * 7, "from the kernel")'] }],
  metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
  nbformat: 4,
  nbformat_minor: 5,
};

describe('Jupyter behind the proxy, in Chromium', skipUnless(jupyter, chromiumRequirement), () => {
  test('login round trip to the service URL, then a notebook cell runs on a kernel over WebSockets', async (t) => {
    const { client, server } = await startTestServer(t);
    const dir = await tempDir(t, 'berth-jupyter-');
    await writeFile(join(dir, 'check.ipynb'), JSON.stringify(NOTEBOOK));
    const port = await freePort();
    await writePipeline(dir, 'notebook.orchest', {
      services: {
        jupyter: {
          image: 'jupyter',
          command: '/usr/bin/jupyter-notebook',
          args: [
            '--no-browser',
            '--allow-root',
            '--ip=127.0.0.1',
            `--port=${port}`,
            `--NotebookApp.base_url=$BASE_PATH_PREFIX_${port}`,
            "--NotebookApp.token=''",
            "--NotebookApp.password=''",
            // Listening on 127.0.0.1, Jupyter refuses every Host but localhost and loopback addresses (its
            // DNS-rebinding check); through Berth it is reached on its own host, <port>-jupyter.<sid>.localhost
            // (docs/proxy.md: Services on their own origin). Orchest's ingress host needed the same.
            '--NotebookApp.allow_remote_access=True',
            '--notebook-dir=/project-dir',
          ].join(' '),
          binds: { '/project-dir': '/project-dir' },
          ports: [port],
          exposed: true,
          preserve_base_path: true,
          readiness: { type: 'http', path: `/$BASE_PATH_PREFIX_${port}/api`, timeout_seconds: 60 },
        },
      },
    });
    await client.addProject(dir, 'notebooks');
    const { session } = await client.startSession('notebooks', 'notebook.orchest');
    const settled = await server.sessions.waitSettled(session.uuid, 90_000);
    assert.equal(settled.status, 'running', `${settled.reason}\n${JSON.stringify(settled.services[0]?.details)}`);
    const base = `${server.url}/pbp-service-jupyter-${session.uuid}_${port}`;
    // Where the path URL leads a browser: the service's own origin, with its path kept (preserve_base_path).
    const own = `http://${port}-jupyter.${session.uuid}.localhost:${new URL(server.url).port}/pbp-service-jupyter-${session.uuid}_${port}`;

    const anonymous = await fetch(`${base}/api`, { headers: { accept: 'application/json' } });
    assert.equal(anonymous.status, 401, 'API clients without a login get 401');

    const browser = await openChromium();
    t.after(() => browser.close());
    const page = await browser.context.newPage();
    await page.goto(`${base}/tree`);
    assert.match(new URL(page.url()).pathname, /^\/login/, 'a browser without a login is sent to the login page');
    assert.ok(server.loginToken, 'a fresh server prints a login token');
    await page.getByRole('textbox', { name: 'Token' }).fill(server.loginToken);
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.waitForURL(`${own}/tree`, { timeout: 15_000 }).catch(async (error: Error) => {
      await page.screenshot({ path: 'test-results/proxy-jupyter-login.png' });
      throw new Error(`${error.message}\nthe browser is at ${page.url()}: ${(await page.textContent('body'))?.slice(0, 300)}`);
    });
    // The tree lists files from its own API call: Jupyter on a busy 2-core machine can take a while.
    await page.getByText('check.ipynb').first().waitFor({ timeout: 60_000 }).catch(async (error: Error) => {
      await page.screenshot({ path: 'test-results/proxy-jupyter-tree.png' });
      throw new Error(`${error.message}\nthe browser is at ${page.url()}: ${(await page.textContent('body'))?.slice(0, 300)}`);
    });

    await page.goto(`${base}/notebooks/check.ipynb`);
    await page.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: 60_000 });
    await page.locator('.cell').first().click();
    await page.keyboard.press('Shift+Enter');
    await page.getByText('42 from the kernel').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: 'test-results/proxy-jupyter-notebook.png' });

    await client.stopSession(session.uuid);
  });
});
