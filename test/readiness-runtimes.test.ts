/**
 * Readiness that cannot lie, on every runtime: a check passes only when the service itself
 * answers. The same three services on each runtime: one that never listens on its declared port,
 * one that starts listening after 3 s, and one whose HTTP path answers 503 for 2 s and then 200.
 * Docker is run both ways Berth can reach it: on the session network, and through ports published
 * on 127.0.0.1 (where docker-proxy accepts connections with nothing listening behind it).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadinessPlan, ServicePlan } from '../src/plan/index.ts';
import { createDockerRuntime, createLocalRuntime, type Runtime } from '../src/runtime/index.ts';
import { engines, servicePlan as dockerPlan, testSessionUuid } from '../src/runtime/docker/test-helpers.ts';
import { createKubernetesRuntime } from '../src/runtime/kubernetes/index.ts';
import { runningStatus, startFakeApiServer, type FakeApiServer } from '../src/runtime/kubernetes/fake-api-server.ts';
import { testServicePlan } from '../src/runtime/test-plan.ts';
import { ReadinessError, runtimeProbe, waitForReadiness, type ReadinessResult } from '../src/sessions/readiness/index.ts';
import { freePort } from './support/ports.ts';
import { skipUnless } from './support/requirements.ts';

/** What each case needs from a runtime: a plan for "a program on port P", started and probed. */
interface Harness {
  /** The port the service declares (fixed in containers, free on the host for local). */
  port(): Promise<number>;
  /** A plan running `program` (argv) that should listen on `port`. */
  plan(name: string, port: number, argv: string[], readiness: ReadinessPlan, image?: string): ServicePlan;
  runtime: Runtime;
  /** Plays what the runtime's own probe would see (kubernetes); elsewhere the service itself does it. */
  play?(plan: ServicePlan, readyAfterMs: number | undefined): void;
}

/** A node program that listens on `port` after `delayMs`, answering HTTP 503 until `okAfterMs`. */
function nodeServer(node: string, port: number, delayMs: number, okAfterMs: number): string[] {
  const script = `const t=Date.now();setTimeout(()=>require('http').createServer((q,r)=>{r.statusCode=Date.now()-t<${okAfterMs}?503:200;r.end('ok')}).listen(${port}),${delayMs})`;
  return [node, '-e', script];
}

const portCheck = (port: number, timeoutMs: number): ReadinessPlan => ({ type: 'port', ports: [port], timeoutMs, intervalMs: 100 });

async function startAndWait(t: TestContext, harness: Harness, plan: ServicePlan): Promise<{ result: ReadinessResult; t0: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-honest-'));
  const logFile = join(dir, `${plan.name}.log`);
  await harness.runtime.prepareSession(plan.sessionUuid, plan.labels);
  const t0 = Date.now();
  const ref = await harness.runtime.start(plan, { logFile });
  t.after(async () => {
    await harness.runtime.stop(ref, { graceMs: 0 });
    await harness.runtime.cleanupSession(plan.sessionUuid);
    rmSync(dir, { recursive: true, force: true });
  });
  const result = await waitForReadiness(plan, runtimeProbe(harness.runtime, ref, plan, { logFile }));
  return { result, t0 };
}

function threeCases(harness: () => Harness, node: string): void {
  test('a service that never listens on its declared port is never ready, and the timeout names the port', async (t) => {
    const h = harness();
    const port = await h.port();
    const plan = h.plan('never', port, ['sleep', '300'], portCheck(port, 3000));
    h.play?.(plan, undefined);
    await assert.rejects(startAndWait(t, h, plan), (error: unknown) => {
      assert.ok(error instanceof ReadinessError, String(error));
      assert.equal(error.code, 'BERTH_READINESS_TIMEOUT', error.message);
      assert.match(error.message, new RegExp(`^service never was not ready after 3 s: waiting for TCP port ${port} accepting connections; last attempt: `));
      return true;
    });
  });

  test('a service that listens after 3 s is ready after 3 s, not before', async (t) => {
    const h = harness();
    const port = await h.port();
    const plan = h.plan('late', port, nodeServer(node, port, 3000, 0), portCheck(port, 20_000));
    h.play?.(plan, 3000);
    const { result, t0 } = await startAndWait(t, h, plan);
    const waited = result.readyAt - t0;
    t.diagnostic(`ready ${waited} ms after start, ${result.attempts} attempts`);
    assert.ok(waited >= 3000, `ready after ${waited} ms: before the service listened`);
    assert.ok(result.attempts > 1, 'earlier attempts were refused');
  });

  test('an HTTP check answering 503 for 2 s, then 200, is ready after the 200', async (t) => {
    const h = harness();
    const port = await h.port();
    const plan = h.plan('http', port, nodeServer(node, port, 0, 2000), { type: 'http', port, path: '/health', status: [200], timeoutMs: 20_000, intervalMs: 100 });
    h.play?.(plan, 2000);
    const { result, t0 } = await startAndWait(t, h, plan);
    const waited = result.readyAt - t0;
    t.diagnostic(`ready ${waited} ms after start, ${result.attempts} attempts`);
    assert.ok(waited >= 2000, `ready after ${waited} ms: before the path answered 200`);
  });
}

describe('honest readiness: local runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-honest-local-'));
  const runtime = createLocalRuntime({ stateDir: join(dir, 'state'), graceMs: 500 });
  threeCases(
    () => ({
      runtime,
      port: freePort,
      plan: (name, port, argv, readiness) => testServicePlan({ name, command: [argv[0]!], args: argv.slice(1), ports: [port], readiness }),
    }),
    process.execPath,
  );
});

for (const engine of await engines()) {
  const reaches = engine.name === 'docker' ? (['network', 'published'] as const) : (['auto'] as const);
  for (const reach of reaches) {
    describe(`honest readiness: ${engine.name} (reach: ${reach})`, skipUnless(engine.requirement), () => {
      const installationId = `honest-${testSessionUuid().slice(1, 9)}`;
      const runtime = createDockerRuntime({ socketPath: engine.socketPath, installationId, graceMs: 0, reach });
      threeCases(
        () => ({
          runtime,
          port: () => Promise.resolve(8080),
          // berth-node has Node (/usr/local/bin/node) for the HTTP server; the mini image has sleep.
          plan: (name, port, argv, readiness) =>
            dockerPlan(installationId, testSessionUuid(), name, {
              image: argv[0] === 'sleep' ? 'localhost/redis:7' : 'localhost/berth-node:20',
              command: [argv[0]!],
              args: argv.slice(1),
              ports: [port],
              readiness,
            }),
        }),
        '/usr/local/bin/node',
      );
    });
  }
}

describe('honest readiness: kubernetes (the pod status the fake API server reports)', () => {
  let fake: FakeApiServer;
  let runtime: Runtime;
  before(async () => {
    fake = await startFakeApiServer();
    runtime = createKubernetesRuntime({ namespace: 'berth', kubeconfig: fake.kubeconfig, installationId: 'honest-k8s', projectClaim: 'p', dataClaim: 'd', graceMs: 0, deleteTimeoutMs: 5000 });
  });
  after(async () => {
    await runtime.close();
    await fake.close();
  });
  /** A running container whose readinessProbe has not passed, as the kubelet reports it. */
  const notReady = (): Record<string, unknown> => {
    const status = runningStatus() as { conditions: { type: string; status: string; message?: string }[]; containerStatuses: { ready: boolean }[] };
    status.conditions = [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', message: 'containers with unready status: [c]' }];
    status.containerStatuses[0]!.ready = false;
    return status;
  };
  threeCases(
    () => ({
      runtime,
      port: () => Promise.resolve(8080),
      plan: (name, port, argv, readiness) => testServicePlan({ name, sessionUuid: testSessionUuid(), image: 'localhost/berth-node:20', command: [argv[0]!], args: argv.slice(1), ports: [port], readiness }),
      // The kubelet runs the pod's readinessProbe (the plan's check: manifests.test.ts); the fake
      // reports what it would see: not Ready until the service answers, counted from the pod's start.
      play(plan, readyAfterMs) {
        fake.podStatus = () => notReady();
        if (readyAfterMs === undefined) return;
        void (async () => {
          const name = `${plan.name}-${plan.sessionUuid}`;
          for (let i = 0; i < 400 && !fake.pod(name); i += 1) await sleep(25);
          await sleep(readyAfterMs);
          const pod = fake.pod(name);
          if (pod) fake.setPodStatus(pod.metadata.name, runningStatus());
        })();
      },
    }),
    '/usr/local/bin/node',
  );
});
