/**
 * Real execution of the manifests the kubernetes runtime generates: there is no Kubernetes API
 * server on this machine (none installs from the package registries it reaches), but
 * `podman kube play` runs Deployment YAML for real. The Deployment + Service Berth generates for a Redis service and for
 * an HTTP service are played, and the services must answer, with their env and mounts visible.
 *
 * What the test changes before playing (there is no cluster, so no PVCs and no kube-proxy):
 *  1. Every PersistentVolumeClaim volume becomes a hostPath volume: claim `berth-projects` is the
 *     directory `<tmp>/claims/berth-projects`, claim `berth-data` is `<tmp>/claims/berth-data`, and
 *     each volumeMount's `subPath` is folded into a volume of its own rooted at `<claim dir>/<subPath>`
 *     (so the data dir is `<tmp>/claims/berth-data/data`, the project `…/projects/<project uuid>`).
 *  2. Each container port gets `hostPort` (a free port) and `hostIP: 127.0.0.1`, as the Service's
 *     ClusterIP does not exist; the Service stays in the file (podman accepts and ignores it).
 * Everything else (command, args, env, probes, securityContext, labels) is played as generated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { planSession, type ServicePlan } from '../src/plan/index.ts';
import type { PipelineSpec } from '../src/spec/types.ts';
import { context } from '../src/plan/fixtures.ts';
import { deploymentManifest, serviceManifest, toWire, type ManifestOptions } from '../src/runtime/kubernetes/index.ts';
import { commandRequirement, skipUnless } from './support/requirements.ts';

const podman = commandRequirement('podman', 'apt-get install podman, then ci/setup-engines.sh (image localhost/redis:7)');
const IMAGE = 'localhost/redis:7';

type Volume = { name: string; persistentVolumeClaim?: { claimName: string }; hostPath?: { path: string; type: string } };
type Mount = { name: string; mountPath: string; subPath?: string };
type Container = { name: string; ports?: { containerPort: number; hostPort?: number; hostIP?: string }[]; volumeMounts?: Mount[] };
type WireDeployment = { metadata: { name: string }; spec: { template: { spec: { containers: Container[]; volumes?: Volume[] } } } };

function podmanRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('podman', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Transformation 1 and 2 of the header comment. */
async function forPodman(deployment: WireDeployment, claimsDir: string): Promise<Record<number, number>> {
  const pod = deployment.spec.template.spec;
  const claims = new Map((pod.volumes ?? []).map((v) => [v.name, v.persistentVolumeClaim?.claimName ?? '']));
  const volumes: Volume[] = [];
  const hostPorts: Record<number, number> = {};
  for (const container of pod.containers) {
    for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
      const path = join(claimsDir, claims.get(mount.name) ?? mount.name, mount.subPath ?? '');
      mkdirSync(path, { recursive: true });
      const name = `${mount.name}-${index}`;
      volumes.push({ name, hostPath: { path, type: 'Directory' } });
      mount.name = name;
      delete mount.subPath;
    }
    for (const port of container.ports ?? []) {
      port.hostPort = await freePort();
      port.hostIP = '127.0.0.1';
      hostPorts[port.containerPort] = port.hostPort;
    }
  }
  pod.volumes = volumes;
  return hostPorts;
}

async function redisPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(answer.trim()));
    socket.on('error', () => resolve(''));
  });
}

function pipeline(): PipelineSpec {
  return {
    uuid: randomUUID(),
    name: 'kube-play',
    version: '1.2.3',
    steps: {},
    parameters: {},
    settings: { auto_eviction: false, data_passing_memory_size: '1GB' },
    services: {
      redis: {
        name: 'redis',
        image: IMAGE,
        command: 'redis-server',
        args: '--protected-mode no',
        env_variables: { BERTH_PLAY: 'redis-env' },
        binds: { '/data': '/data' },
        ports: [6379],
        exposed: false,
        scope: ['interactive'],
        order: 1,
      },
      web: {
        name: 'web',
        image: IMAGE,
        command: 'busybox',
        args: 'httpd -f -p 8080 -h /srv/project',
        env_variables: { BERTH_PLAY: 'web-env' },
        binds: { '/project-dir': '/srv/project' },
        ports: [8080],
        exposed: true,
        scope: ['interactive'],
        order: 2,
        readiness: { type: 'http' },
      },
    },
  } as PipelineSpec;
}

describe('generated manifests under podman kube play', skipUnless(podman), () => {
  it('runs the Redis and HTTP services Berth generates, with their env and mounts', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-kube-play-'));
    const projectUuid = randomUUID();
    const ctx = context({ installationId: 'kube-play', projectUuid, pipelineUuid: randomUUID(), projectDir: join(dir, 'unused-project'), dataDir: join(dir, 'unused-data') });
    const plan = planSession(pipeline(), ctx);
    const options: ManifestOptions = { namespace: 'berth', installationId: 'kube-play', projectClaim: 'berth-projects', dataClaim: 'berth-data', fsGroup: 0, graceMs: 1000 };
    const claims = join(dir, 'claims');
    const played: string[] = [];
    t.after(() => {
      for (const file of played) podmanRun(['kube', 'down', file]);
      rmSync(dir, { recursive: true, force: true });
    });

    async function play(service: ServicePlan): Promise<{ ports: Record<number, number>; container: string }> {
      const deployment = toWire(deploymentManifest(service, options), 'V1Deployment') as unknown as WireDeployment;
      const svc = serviceManifest(service, options);
      assert.ok(svc);
      const ports = await forPodman(deployment, claims);
      const file = join(dir, `${service.name}.yaml`);
      writeFileSync(file, `${stringify(deployment)}---\n${stringify(toWire(svc, 'V1Service'))}`);
      played.push(file);
      const result = podmanRun(['kube', 'play', file]);
      assert.equal(result.status, 0, `podman kube play ${file} failed:\n${result.stderr}`);
      // podman names a Deployment's pod `<name>-pod-0` and its containers `<pod>-<container>`.
      return { ports, container: `${deployment.metadata.name}-pod-0-${service.name}` };
    }

    const [redisPlan, webPlan] = plan.services;
    assert.ok(redisPlan && webPlan);
    mkdirSync(join(claims, 'berth-data', 'data'), { recursive: true });
    writeFileSync(join(claims, 'berth-data', 'data', 'shared.txt'), 'from the data claim\n');
    mkdirSync(join(claims, 'berth-projects', 'projects', projectUuid), { recursive: true });
    writeFileSync(join(claims, 'berth-projects', 'projects', projectUuid, 'index.html'), '<h1>project dir</h1>\n');

    const redis = await play(redisPlan);
    let pong = '';
    for (let i = 0; i < 100 && pong !== '+PONG'; i += 1) {
      pong = await redisPing(redis.ports[6379] ?? 0);
      if (pong !== '+PONG') await sleep(100);
    }
    assert.equal(pong, '+PONG', 'redis answers PING on its published port');
    assert.equal(podmanRun(['exec', redis.container, 'redis-cli', 'ping']).stdout.trim(), 'PONG');
    const redisEnv = podmanRun(['exec', redis.container, 'env']).stdout.split('\n');
    assert.ok(redisEnv.includes('BERTH_PLAY=redis-env'), redisEnv.join('\n'));
    assert.ok(redisEnv.includes(`ORCHEST_SESSION_UUID=${plan.sessionUuid}`));
    assert.ok(redisEnv.includes('ORCHEST_SESSION_TYPE=interactive'));
    assert.equal(podmanRun(['exec', redis.container, 'cat', '/data/shared.txt']).stdout, 'from the data claim\n');

    const web = await play(webPlan);
    let status = 0;
    let body = '';
    for (let i = 0; i < 100 && status !== 200; i += 1) {
      try {
        const response = await fetch(`http://127.0.0.1:${web.ports[8080]}/index.html`);
        status = response.status;
        body = await response.text();
      } catch {
        await sleep(100);
      }
    }
    assert.equal(status, 200);
    assert.equal(body, '<h1>project dir</h1>\n', 'the project subPath of the projects claim is the served directory');
    const webEnv = podmanRun(['exec', web.container, 'env']).stdout.split('\n');
    assert.ok(webEnv.includes('BERTH_PLAY=web-env'));
    assert.match(podmanRun(['exec', web.container, 'ls', '/srv/project']).stdout, /index\.html/);
  });
});
