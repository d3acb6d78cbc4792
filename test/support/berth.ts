/**
 * Helpers for end-to-end tests: a temp project with a pipeline file, and a Berth server in this
 * process on a temp data directory, with an API client holding the local CLI token.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { startServer, type BerthServer, type ServerOptions } from '../../src/server/index.ts';
import { BerthClient } from '../../src/sdk/client.ts';

export async function tempDir(t: TestContext | { after: (fn: () => Promise<void>) => void }, prefix = 'berth-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface PipelineFixture {
  uuid?: string;
  name?: string;
  services: Record<string, Record<string, unknown>>;
}

/** Writes `<dir>/<file>` as a current-version pipeline with the given services (order filled in). */
export async function writePipeline(dir: string, file: string, fixture: PipelineFixture): Promise<{ uuid: string; path: string }> {
  const uuid = fixture.uuid ?? randomUUID();
  const services = Object.fromEntries(
    Object.entries(fixture.services).map(([name, service], order) => [
      name,
      { name, scope: ['interactive', 'noninteractive'], exposed: false, order, ...service },
    ]),
  );
  const pipeline = {
    name: fixture.name ?? file.replace(/\.orchest$/, ''),
    parameters: {},
    settings: { auto_eviction: false, data_passing_memory_size: '1GB' },
    steps: {},
    uuid,
    version: '1.2.3',
    services,
  };
  await mkdir(dir, { recursive: true });
  const path = join(dir, file);
  await writeFile(path, `${JSON.stringify(pipeline, null, 4)}\n`);
  return { uuid, path };
}

export interface TestServer {
  server: BerthServer;
  client: BerthClient;
  token: string;
  dataDir: string;
}

export async function startTestServer(
  t: TestContext | { after: (fn: () => Promise<void>) => void },
  options: Partial<ServerOptions> & { dataDir?: string; keepSessions?: boolean } = {},
): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'berth-data-')));
  const { keepSessions, ...serverOptions } = options;
  const server = await startServer({
    port: 0,
    runtime: 'local',
    graceMs: 2_000,
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    ...serverOptions,
    dataDir,
  });
  // The server listens before it has adopted what it found; tests start from a settled server.
  await server.recovered;
  // One hook, in order: no session outlives its test, then the server, then its files.
  t.after(async () => {
    if (!keepSessions) {
      for (const session of server.sessions.list({ activeOnly: true })) await server.sessions.stop(session.uuid).catch(() => undefined);
    }
    await server.close();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  });
  const token = (await readFile(join(dataDir, 'cli-token'), 'utf8')).trim();
  return { server, client: new BerthClient({ url: server.url, token }), token, dataDir };
}
