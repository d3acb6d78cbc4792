/**
 * Test helper (not exported from the runtime's index.ts): a fake kube-apiserver on 127.0.0.1,
 * as strict as the real one where Berth's calls meet it, so what a kind, k3s or GKE cluster does
 * to Berth happens in tests too:
 * - objects (store.ts): typed lists, a `resourceVersion` increased by every write, watches from a
 *   version (410 Gone `Expired` once compacted), BOOKMARK events, `timeoutSeconds`;
 * - controllers (controllers.ts): Deployment → ReplicaSet → pods with ownerReferences, pods
 *   Terminating through their grace period, foreground (202), background and orphan deletes;
 * - validation (validation.ts): names, label keys and values, env var names: 422 `Invalid` with
 *   `details.causes[].field`;
 * - exec (exec-socket.ts): v5.channel.k8s.io (its stdin close signal) preferred, and v4;
 * - faults injected into the next requests (`inject`: 403 admission, 422, 429 with Retry-After,
 *   503, connection reset; a refused watch), evictions (`replacePod`), sidecars listed in name
 *   order, a Job its controller failed (`failJob`) and the events it records (`event`).
 * Tests drive pod statuses and log lines (follow, previous, timestamps, sinceTime).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createControllers, type PropagationPolicy } from './controllers.ts';
import { attachExec, type ExecAnswer } from './exec-socket.ts';
import { COLLECTIONS, createStore, type Collection } from './store.ts';
import { pendingStatus, runningStatus, status, type Fault, type Obj, type Pod, type PodSpec } from './statuses.ts';
import { invalidStatus, validate } from './validation.ts';

export { FAULTS, notReadyStatus, pendingStatus, runningStatus, unschedulableStatus, waitingStatus, type Fault } from './statuses.ts';

interface LogLine {
  restartCount: number;
  timestamp: string;
  text: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FaultOptions {
  /** How many matching requests get the fault (default 1; Infinity: every one). */
  times?: number;
  /** Only watch requests (`?watch=true`) match; without it only non-watch requests do. */
  watch?: boolean;
}

interface FaultRule {
  method: string;
  path: string | RegExp;
  watch: boolean;
  remaining: number;
  fault: Fault;
}

export interface FakeApiServer {
  url: string;
  /** A kubeconfig file (token auth) pointing at the fake. */
  kubeconfig: string;
  requests: RecordedRequest[];
  /** Decides the first status of a pod created by a ReplicaSet or Job, or directly (default: running). */
  podStatus: (pod: Pod) => Record<string, unknown>;
  /** How long a Terminating pod takes to go (its containers stopping), capped by its grace period (default 300 ms). */
  terminatingMs: number;
  objects(resource: string): Obj[];
  /** The first pod whose name starts with `prefix`, Terminating ones last. */
  pod(prefix: string): Pod | undefined;
  /** Replaces a pod's status and sends MODIFIED to watchers. */
  setPodStatus(name: string, status: Record<string, unknown>): void;
  /** Appends a log line to the pod's current container (or the given restart). */
  log(pod: string, text: string, restartCount?: number): void;
  /** Ends follow streams of one container instance (the container exited). */
  endContainer(pod: string, restartCount: number): void;
  /** Answers pods/exec: what the command prints and how it ends. */
  exec: (pod: string, command: string[]) => ExecAnswer;
  /** The exec subprotocols agreed on, in order. */
  execProtocols: string[];
  /** Ends every open watch (kube-apiserver does this every few minutes). */
  closeWatches(): void;
  /** Sends a BOOKMARK to every watch that allows them. */
  bookmarks(): void;
  /** Forgets the change history: watches (and exact lists) from an older resourceVersion get 410 Gone. */
  compact(): void;
  /** The current resourceVersion. */
  readonly resourceVersion: number;
  /** Answers the next matching requests (method + exact path or pattern) with `fault` instead. */
  inject(method: string, path: string | RegExp, fault: Fault, options?: FaultOptions): void;
  /** Containers an injector adds to every new pod; their statuses join the pod's, sorted by name as the kubelet lists them. */
  sidecars: string[];
  /** Evicts a pod: it goes Terminating and its ReplicaSet creates a new one with `status` (default Pending); returns its name. */
  replacePod(name: string, status?: Record<string, unknown>): string;
  /** Marks a Job Failed (e.g. DeadlineExceeded) and deletes its pods, as the Job controller does. */
  failJob(name: string, reason: string, message: string): void;
  /** Records an event about an object (`kubectl describe` shows them), e.g. a Job's FailedCreate. */
  event(involvedName: string, reason: string, message: string): void;
  close(): Promise<void>;
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const store = createStore();
  const logs = new Map<string, LogLine[]>();
  const followers = new Set<{ pod: string; restartCount: number; stamp: boolean; res: ServerResponse }>();
  const requests: RecordedRequest[] = [];
  const faults: FaultRule[] = [];
  let eventSeq = 0;

  const controllers = createControllers(store, {
    firstStatus: (pod) => fake.podStatus(pod),
    kubeletStatus,
    injectSidecars,
    terminatingMs: () => fake.terminatingMs,
    podStopped: (pod) => fake.endContainer(pod.metadata.name, currentRestart(pod)),
  });

  const fake: FakeApiServer = {
    url: '',
    kubeconfig: '',
    requests,
    podStatus: () => runningStatus(),
    terminatingMs: 300,
    exec: () => ({ output: '', exitCode: 0 }),
    execProtocols: [],
    sidecars: [],
    get resourceVersion() {
      return store.version;
    },
    objects: (resource) => store.all(resource),
    inject(method, path, fault, options = {}) {
      faults.push({ method, path, watch: options.watch ?? false, remaining: options.times ?? 1, fault });
    },
    replacePod(name, next) {
      return controllers.evict(name, next ?? pendingStatus()).metadata.name;
    },
    failJob(name, reason, message) {
      const job = store.get('jobs', name);
      if (!job) throw new Error(`no job ${name}`);
      job.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason, message }] };
      store.modified('jobs', job);
      controllers.deleteJobPods(job);
    },
    event(involvedName, reason, message) {
      eventSeq += 1;
      store.add('events', 'berth', { metadata: { name: `${involvedName}.${eventSeq.toString(16)}` }, involvedObject: { name: involvedName }, reason, message, type: 'Warning' });
    },
    pod: (prefix) => {
      const pods = store.all('pods').filter((p) => p.metadata.name.startsWith(prefix));
      return (pods.find((p) => !p.metadata.deletionTimestamp) ?? pods[0]) as Pod | undefined;
    },
    setPodStatus(name, next) {
      const pod = store.get('pods', name) as Pod | undefined;
      if (!pod) throw new Error(`no pod ${name}`);
      pod.status = kubeletStatus(pod, next);
      store.modified('pods', pod);
    },
    log(pod, text, restartCount) {
      const current = restartCount ?? currentRestart(store.get('pods', pod) as Pod | undefined);
      const line = { restartCount: current, timestamp: nanoTimestamp(), text };
      const lines = logs.get(pod) ?? [];
      lines.push(line);
      logs.set(pod, lines);
      for (const follower of followers) {
        if (follower.pod === pod && follower.restartCount === current) follower.res.write(`${follower.stamp ? `${line.timestamp} ` : ''}${text}\n`);
      }
    },
    endContainer(pod, restartCount) {
      for (const follower of [...followers]) {
        if (follower.pod === pod && follower.restartCount === restartCount) {
          followers.delete(follower);
          follower.res.end();
        }
      }
    },
    closeWatches: () => store.endWatches(),
    bookmarks: () => store.bookmarks(),
    compact: () => store.compact(),
    async close() {
      controllers.close();
      store.endWatches();
      for (const follower of followers) follower.res.end();
      followers.clear();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(kubeconfigDir, { recursive: true, force: true });
    },
  };

  let lastNanos = 0n;
  function nanoTimestamp(): string {
    // Strictly increasing, nanosecond precision like the kubelet's timestamps.
    let nanos = BigInt(Date.now()) * 1_000_000n;
    if (nanos <= lastNanos) nanos = lastNanos + 1n;
    lastNanos = nanos;
    const seconds = new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().replace('.000Z', '');
    return `${seconds}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;
  }

  /** The status of the pod's own container (its first in the spec), whatever sidecars list before it. */
  function mainStatus(pod: Pod | undefined): { restartCount?: number; state?: { terminated?: unknown } } | undefined {
    const statuses = pod?.status.containerStatuses as { name: string; restartCount?: number; state?: { terminated?: unknown } }[] | undefined;
    return statuses?.find((s) => s.name === pod?.spec.containers[0]?.name);
  }

  function currentRestart(pod: Pod | undefined): number {
    return mainStatus(pod)?.restartCount ?? 0;
  }

  /**
   * Statuses as the kubelet reports them: tests write the main container's as `c`, which becomes
   * its real name; each sidecar runs (Ready) and the list is sorted by container name.
   */
  function kubeletStatus(pod: Pod, next: Record<string, unknown>): Record<string, unknown> {
    const main = pod.spec.containers[0]?.name ?? 'c';
    const given = (next.containerStatuses as { name: string }[] | undefined)?.map((s) => (s.name === 'c' ? { ...s, name: main } : s));
    if (!given) return next;
    const sidecars = pod.spec.containers
      .filter((c) => fake.sidecars.includes(c.name) && !given.some((s) => s.name === c.name))
      .map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image, imageID: '', state: { running: { startedAt: new Date().toISOString() } } }));
    return { ...next, containerStatuses: [...given, ...sidecars].sort((a, b) => a.name.localeCompare(b.name)) };
  }

  /** What an injector (istio, linkerd) does to every new pod. */
  function injectSidecars(spec: PodSpec): PodSpec {
    const extra = fake.sidecars.filter((name) => !spec.containers.some((c) => c.name === name)).map((name) => ({ name, image: `${name}:1` }));
    return extra.length ? { ...spec, containers: [...spec.containers, ...extra] } : spec;
  }

  /** The first injected fault matching the request, counted down; undefined when none applies. */
  function takeFault(method: string, path: string, watch: boolean): Fault | undefined {
    const rule = faults.find((f) => f.remaining > 0 && f.method === method && f.watch === watch && (typeof f.path === 'string' ? f.path === path : f.path.test(path)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  function send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
  }

  async function create(res: ServerResponse, namespace: string, resource: string, info: Collection, body: Obj): Promise<void> {
    const causes = validate(resource, body);
    if (causes.length) {
      const group = info.group.includes('/') ? (info.group.split('/')[0] ?? '') : '';
      const { message, details } = invalidStatus(info.kind, group, body.metadata?.name ?? '', causes);
      return send(res, 422, status(422, 'Invalid', message, details));
    }
    if (store.get(resource, body.metadata.name)) {
      return send(res, 409, status(409, 'AlreadyExists', `${resource} "${body.metadata.name}" already exists`));
    }
    if (resource === 'secrets' && body.stringData) {
      // Like kube-apiserver: stringData is write-only and merged into base64 `data`.
      const data = { ...((body.data as Record<string, string> | undefined) ?? {}) };
      for (const [key, value] of Object.entries(body.stringData as Record<string, string>)) data[key] = Buffer.from(value).toString('base64');
      body.data = data;
      delete body.stringData;
    }
    if (resource === 'pods') {
      // A pod created directly (a job step) starts like one a controller made.
      (body as Pod).spec = injectSidecars((body as Pod).spec);
      (body as Pod).status = kubeletStatus(body as Pod, fake.podStatus(body as Pod));
    }
    const stored = store.add(resource, namespace, body);
    send(res, 201, stored);
    controllers.created(resource, stored);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query });
    if (req.headers.authorization !== 'Bearer fake-token') return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const fault = takeFault(req.method ?? 'GET', url.pathname, query.watch === 'true');
    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault) {
      if (fault.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return send(res, fault.code, status(fault.code, fault.reason, fault.message));
    }
    const match = /^\/(?:api\/v1|apis\/[a-z.0-9]+\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(url.pathname);
    if (!match) return send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    const [, namespace = '', resource = '', name, sub] = match;
    const info = COLLECTIONS[resource];
    if (!store.has(resource) || !info) return send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${resource})`));
    const groupName = info.group.includes('/') ? info.group.split('/')[0] : '';
    const notFound = (): void => send(res, 404, status(404, 'NotFound', `${groupName ? `${resource}.${groupName}` : resource} "${name}" not found`));

    if (sub === 'log' && name) return handleLog(name, query, res);
    if (req.method === 'GET' && !name) {
      if (query.watch === 'true' || query.watch === '1') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        const timeoutSeconds = query.timeoutSeconds ? Number(query.timeoutSeconds) : undefined;
        store.watch({
          resource,
          bookmarks: query.allowWatchBookmarks === 'true',
          res,
          ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
          ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
          ...(query.resourceVersion ? { resourceVersion: query.resourceVersion } : {}),
          ...(timeoutSeconds !== undefined && Number.isFinite(timeoutSeconds) ? { timeoutSeconds } : {}),
        });
        return;
      }
      const listed = store.list(resource, query);
      if ('gone' in listed) return send(res, 410, listed.gone);
      return send(res, 200, { kind: info.listKind, apiVersion: info.group, metadata: { resourceVersion: String(listed.version) }, items: listed.items });
    }
    if (req.method === 'GET' && name) {
      const object = store.get(resource, name);
      return object ? send(res, 200, object) : notFound();
    }
    if (req.method === 'POST' && !name) return create(res, namespace, resource, info, (await readBody(req)) as Obj);
    if (req.method === 'DELETE' && name) {
      const body = await readBody(req);
      const grace = query.gracePeriodSeconds ?? body.gracePeriodSeconds;
      const policy = (query.propagationPolicy ?? body.propagationPolicy) as PropagationPolicy | undefined;
      const removed = controllers.remove(resource, name, { ...(grace !== undefined ? { gracePeriodSeconds: Number(grace) } : {}), ...(policy ? { policy } : {}) });
      if (!removed) return notFound();
      // A pod or an owner still there (Terminating, foreground) is answered as itself; one gone at once by a Status.
      if (store.get(resource, name) === removed.object) return send(res, removed.code, removed.object);
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource, uid: removed.object.metadata.uid } });
    }
    return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} is not supported by the fake`));
  }

  function handleLog(podName: string, query: Record<string, string>, res: ServerResponse): void {
    const pod = store.get('pods', podName) as Pod | undefined;
    if (!pod) return send(res, 404, status(404, 'NotFound', `pods "${podName}" not found`));
    const current = currentRestart(pod);
    const restartCount = query.previous === 'true' ? current - 1 : current;
    if (restartCount < 0) return send(res, 400, status(400, 'BadRequest', `previous terminated container "c" in pod "${podName}" not found`));
    const since = query.sinceTime ? Date.parse(query.sinceTime) : undefined;
    const stamp = query.timestamps === 'true';
    const lines = (logs.get(podName) ?? []).filter((l) => l.restartCount === restartCount && (since === undefined || Date.parse(l.timestamp.replace(/\.\d+/, '')) >= since));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    for (const line of lines) res.write(`${stamp ? `${line.timestamp} ` : ''}${line.text}\n`);
    // Following a container that already ended returns what it printed, like the kubelet.
    const ended = Boolean(mainStatus(pod)?.state?.terminated);
    if (query.follow === 'true' && query.previous !== 'true' && !ended) {
      const follower = { pod: podName, restartCount, stamp, res };
      followers.add(follower);
      res.on('close', () => followers.delete(follower));
      return;
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, status(500, 'InternalError', String(error))));
  });
  const sockets = attachExec(server, {
    authorized: (req) => req.headers.authorization === 'Bearer fake-token',
    record: (req) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push({ method: 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    },
    podExists: (pod) => Boolean(store.get('pods', pod)),
    answer: (pod, command) => fake.exec(pod, command),
    onProtocol: (protocol) => fake.execProtocols.push(protocol),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigDir = mkdtempSync(join(tmpdir(), 'berth-fake-kube-'));
  fake.kubeconfig = join(kubeconfigDir, 'kubeconfig');
  writeFileSync(
    fake.kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: fake\n  cluster:\n    server: ${fake.url}\n    insecure-skip-tls-verify: true`, // plain HTTP on loopback: the client wants this said explicitly
      'users:',
      '- name: berth\n  user:\n    token: fake-token',
      'contexts:',
      '- name: fake\n  context:\n    cluster: fake\n    user: berth\n    namespace: berth',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return fake;
}
