// `berth env set` keeps values out of `ps` (issue 18, point 4): NAME alone reads the value from stdin
// (or asks without echo on a terminal); NAME=VALUE still works but warns.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, tempDir, writePipeline } from '../support/berth.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function berth(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['bin/berth.mjs', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('berth env set', () => {
  test('--from-stdin sets the value without it ever being an argument; NAME=VALUE warns', async (t) => {
    const { server, token } = await startTestServer(t);
    const project = await tempDir(t);
    await writePipeline(project, 'main.orchest', { name: 'main', services: {} });
    const record = await server.projects.add(project, 'p1');
    const env = { BERTH_URL: server.url, BERTH_TOKEN: token };

    const piped = await berth(['env', 'set', 'p1', 'API_KEY', '--from-stdin'], env, 's3cret-from-stdin\n');
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /warning/);
    assert.equal(server.store.envVars(record.uuid, '').API_KEY, 's3cret-from-stdin');

    const inline = await berth(['env', 'set', 'p1', 'OTHER=visible'], env, '');
    assert.equal(inline.status, 0, inline.stderr);
    assert.match(inline.stderr, /warning: the value of OTHER was on the command line, where other users see it in `ps`/);
    assert.equal(server.store.envVars(record.uuid, '').OTHER, 'visible');
  });
});
