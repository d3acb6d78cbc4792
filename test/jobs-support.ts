/**
 * Helpers for the jobs end-to-end tests: a project with steps and services, and the Jobs of a
 * test server (the server's own when the lead wired it, else one built on the same parts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Jobs, RunView } from '../src/jobs/index.ts';
import { startTestServer, type TestServer } from './support/berth.ts';

type After = Parameters<typeof startTestServer>[0];

export interface StepFixture {
  title: string;
  file: string;
  source: string;
  after?: string[];
  parameters?: Record<string, unknown>;
  /** Environment uuid (container runtimes run the step in its image). */
  environment?: string;
}

export interface ProjectFixture {
  dir: string;
  file: string;
  parameters?: Record<string, unknown>;
  services?: Record<string, Record<string, unknown>>;
  steps: StepFixture[];
  extraFiles?: Record<string, string>;
}

/** Writes the pipeline file, the step files and any extra files; returns the step uuids by title. */
export async function writeProject(fixture: ProjectFixture): Promise<{ pipelineUuid: string; stepUuids: Record<string, string> }> {
  const stepUuids = Object.fromEntries(fixture.steps.map((s) => [s.title, randomUUID()]));
  const steps = Object.fromEntries(
    fixture.steps.map((s) => [
      stepUuids[s.title],
      {
        uuid: stepUuids[s.title],
        title: s.title,
        file_path: s.file,
        incoming_connections: (s.after ?? []).map((title) => stepUuids[title]),
        environment: s.environment ?? '',
        parameters: s.parameters ?? {},
        kernel: { name: 'python', display_name: 'Python 3' },
        meta_data: { hidden: false, position: [0, 0] },
      },
    ]),
  );
  const services = Object.fromEntries(
    Object.entries(fixture.services ?? {}).map(([name, service], order) => [
      name,
      { name, scope: ['interactive', 'noninteractive'], exposed: false, order, ...service },
    ]),
  );
  const pipelineUuid = randomUUID();
  const pipeline = {
    name: fixture.file.replace(/\.orchest$/, ''),
    parameters: fixture.parameters ?? {},
    settings: { auto_eviction: false, data_passing_memory_size: '1GB' },
    steps,
    uuid: pipelineUuid,
    version: '1.2.3',
    services,
  };
  await mkdir(fixture.dir, { recursive: true });
  await writeFile(join(fixture.dir, fixture.file), `${JSON.stringify(pipeline, null, 4)}\n`);
  for (const step of fixture.steps) await writeFile(join(fixture.dir, step.file), step.source);
  for (const [name, text] of Object.entries(fixture.extraFiles ?? {})) await writeFile(join(fixture.dir, name), text);
  return { pipelineUuid, stepUuids };
}

export async function startJobsServer(t: After): Promise<TestServer & { jobs: Jobs }> {
  const test = await startTestServer(t);
  return { ...test, jobs: test.server.jobs };
}

/** A notebook (nbformat 4) with one code cell per source. */
export function notebook(...cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** A few lines of RESP (Redis' protocol) over a socket: steps need no redis client package. */
export const RESP_PY = `
import socket

def command(host, port, *args):
    payload = "*%d\\r\\n" % len(args) + "".join("$%d\\r\\n%s\\r\\n" % (len(str(a).encode()), a) for a in args)
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(payload.encode())
        data = b""
        while not data.endswith(b"\\r\\n") or (data.startswith(b"$") and data.count(b"\\r\\n") < 2 and not data.startswith(b"$-1")):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    if data.startswith(b"$-1"):
        return None
    if data.startswith(b"$"):
        return data.split(b"\\r\\n")[1].decode()
    return data.decode().strip()
`;

/**
 * No step of `run` started before every service of its session passed its readiness check, read
 * from the run's own record (the honest-readiness promise, whatever the runtime).
 */
export function assertStepsStartedAfterServicesReady(run: Pick<RunView, 'servicesReady' | 'steps'>, services: string[]): void {
  const ready = run.servicesReady ?? [];
  assert.deepEqual(ready.map((s) => s.name).sort(), [...services].sort(), 'the run recorded when each service was ready');
  for (const service of ready) {
    assert.ok(service.startedAt && service.readyAt && Date.parse(service.readyAt) >= Date.parse(service.startedAt), `service ${service.name}: ${JSON.stringify(service)}`);
    for (const step of run.steps) {
      if (!step.startedAt) continue;
      assert.ok(Date.parse(step.startedAt) >= Date.parse(service.readyAt), `step ${step.title} started at ${step.startedAt}, before service ${service.name} was ready at ${service.readyAt}`);
    }
  }
}
