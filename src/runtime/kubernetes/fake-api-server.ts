/**
 * Test helper (not exported from index.ts): a fake kube-apiserver on 127.0.0.1 implementing only
 * the calls Berth's kubernetes runtime and build jobs make, with responses shaped like the real
 * server's: typed lists with `metadata.resourceVersion`, `Status` objects for errors (reason +
 * code), label selectors, watch streams of newline-delimited JSON events, and pod logs (follow,
 * previous, timestamps, sinceTime). Pods are synthesised when a Deployment or Job is created (or
 * created directly, as job steps are);
 * tests drive their status and log lines. What a real cluster does to Berth, each usable from any
 * test: faults injected into the next requests (`inject`: 403 admission, 422, 429 with Retry-After,
 * 503, connection reset; a refused watch), a pod replaced by its ReplicaSet (`replacePod`), sidecar
 * containers whose statuses the kubelet lists in name order (`sidecars`), a Job the controller
 * failed (`failJob`) and the events it records (`event`). No controller logic beyond that.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown }; [key: string]: unknown };
type Pod = Obj & { spec: { containers: { name: string; image: string }[] }; status: Record<string, unknown> };

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

interface Collection {
  group: string;
  kind: string;
  listKind: string;
}

const COLLECTIONS: Record<string, Collection> = {
  deployments: { group: 'apps/v1', kind: 'Deployment', listKind: 'DeploymentList' },
  services: { group: 'v1', kind: 'Service', listKind: 'ServiceList' },
  pods: { group: 'v1', kind: 'Pod', listKind: 'PodList' },
  networkpolicies: { group: 'networking.k8s.io/v1', kind: 'NetworkPolicy', listKind: 'NetworkPolicyList' },
  jobs: { group: 'batch/v1', kind: 'Job', listKind: 'JobList' },
  configmaps: { group: 'v1', kind: 'ConfigMap', listKind: 'ConfigMapList' },
  secrets: { group: 'v1', kind: 'Secret', listKind: 'SecretList' },
  events: { group: 'v1', kind: 'Event', listKind: 'EventList' },
};

/** What an injected fault answers: a Status with its code (and Retry-After), or a reset connection. */
export type Fault = { code: number; reason: string; message: string; retryAfterSeconds?: number } | { reset: true };

/** The faults a real cluster answers with, worded as kube-apiserver words them. */
export const FAULTS = {
  /** An admission plugin's refusal (ResourceQuota, PodSecurity, a webhook): 403 like RBAC, but not RBAC. */
  admission: (message: string): Fault => ({ code: 403, reason: 'Forbidden', message }),
  /** RBAC: the service account lacks the verb. */
  rbac: (verb: string, resource: string): Fault => ({ code: 403, reason: 'Forbidden', message: `${resource} is forbidden: User "system:serviceaccount:berth:berth" cannot ${verb} resource "${resource}" in API group "" in the namespace "berth"` }),
  invalid: (message: string): Fault => ({ code: 422, reason: 'Invalid', message }),
  throttled: (retryAfterSeconds = 1): Fault => ({ code: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', retryAfterSeconds }),
  leaderChanged: (): Fault => ({ code: 503, reason: 'ServiceUnavailable', message: 'etcdserver: leader changed' }),
  reset: (): Fault => ({ reset: true }),
};

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
  /** Decides the first status of a pod synthesised for a Deployment or Job (default: running). */
  podStatus: (pod: Pod) => Record<string, unknown>;
  objects(resource: string): Obj[];
  pod(prefix: string): Pod | undefined;
  /** Replaces a pod's status and sends MODIFIED to watchers. */
  setPodStatus(name: string, status: Record<string, unknown>): void;
  /** Appends a log line to the pod's current container (or the given restart). */
  log(pod: string, text: string, restartCount?: number): void;
  /** Ends follow streams of one container instance (the container exited). */
  endContainer(pod: string, restartCount: number): void;
  /** Answers pods/exec (WebSocket, v4.channel.k8s.io): what the command prints and how it ends. */
  exec: (pod: string, command: string[]) => { output: string; exitCode: number } | { error: string };
  /** Ends every open watch (kube-apiserver does this every few minutes). */
  closeWatches(): void;
  /** Answers the next matching requests (method + exact path or pattern) with `fault` instead. */
  inject(method: string, path: string | RegExp, fault: Fault, options?: FaultOptions): void;
  /** Containers an injector adds to every new pod; their statuses join the pod's, sorted by name as the kubelet lists them. */
  sidecars: string[];
  /** Deletes a pod and creates a new one for the same owner (its ReplicaSet's job), with `status` (default Pending); returns its name. */
  replacePod(name: string, status?: Record<string, unknown>): string;
  /** Marks a Job Failed (e.g. DeadlineExceeded) and deletes its pods, as the Job controller does. */
  failJob(name: string, reason: string, message: string): void;
  /** Records an event about an object (`kubectl describe` shows them), e.g. a Job's FailedCreate. */
  event(involvedName: string, reason: string, message: string): void;
  close(): Promise<void>;
}

export function runningStatus(restartCount = 0, startedAt = new Date().toISOString()): Record<string, unknown> {
  return {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'c', ready: true, restartCount, image: 'x', imageID: '', state: { running: { startedAt } } }],
  };
}

/** A pod the scheduler cannot place yet (an autoscaler may add the node later). */
export function unschedulableStatus(message: string): Record<string, unknown> {
  return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] };
}

/** A new pod scheduled, its container not created yet (a replacement pod's first status). */
export function pendingStatus(): Record<string, unknown> {
  return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] };
}

export function waitingStatus(reason: string, message: string, restartCount = 0, lastExitCode?: number): Record<string, unknown> {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        restartCount,
        image: 'x',
        imageID: '',
        state: { waiting: { reason, message } },
        ...(lastExitCode === undefined ? {} : { lastState: { terminated: { exitCode: lastExitCode, reason: 'Error' } } }),
      },
    ],
  };
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** `involvedObject.name=X` on events, the only field selector Berth sends. */
function matchesFields(object: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    if (key === 'involvedObject.name') return (object.involvedObject as { name?: string } | undefined)?.name === value;
    return key === 'metadata.name' ? object.metadata.name === value : false;
  });
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && labels?.[key] === value;
  });
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const store = new Map<string, Map<string, Obj>>(Object.keys(COLLECTIONS).map((r) => [r, new Map()]));
  const watchers = new Set<{ resource: string; selector?: string; res: ServerResponse }>();
  const logs = new Map<string, LogLine[]>();
  const followers = new Set<{ pod: string; restartCount: number; stamp: boolean; res: ServerResponse }>();
  const requests: RecordedRequest[] = [];
  const faults: FaultRule[] = [];
  let version = 1;
  let podSeq = 0;

  const fake: FakeApiServer = {
    url: '',
    kubeconfig: '',
    requests,
    podStatus: () => runningStatus(),
    exec: () => ({ output: '', exitCode: 0 }),
    sidecars: [],
    objects: (resource) => [...(store.get(resource)?.values() ?? [])],
    inject(method, path, fault, options = {}) {
      faults.push({ method, path, watch: options.watch ?? false, remaining: options.times ?? 1, fault });
    },
    replacePod(name, next) {
      const pod = store.get('pods')?.get(name) as Pod | undefined;
      const owner = (pod?.metadata.ownerReferences as { name: string; kind: string }[] | undefined)?.[0];
      const owned = owner && store.get(owner.kind === 'Job' ? 'jobs' : 'deployments')?.get(owner.name);
      if (!pod || !owned) throw new Error(`no pod ${name} with an owner to replace it`);
      fake.endContainer(name, currentRestart(name));
      remove('pods', name);
      const template = (owned.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: Pod['spec'] } }).template;
      return synthesisePod(owned.metadata.namespace ?? 'berth', owned, template, next ?? pendingStatus()).metadata.name;
    },
    failJob(name, reason, message) {
      const job = store.get('jobs')?.get(name);
      if (!job) throw new Error(`no job ${name}`);
      job.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason, message }] };
      touch(job);
      notify('jobs', 'MODIFIED', job);
      for (const pod of ownedPods(name)) remove('pods', pod.metadata.name);
    },
    event(involvedName, reason, message) {
      put('events', 'berth', { metadata: { name: `${involvedName}.${version.toString(16)}` }, involvedObject: { name: involvedName }, reason, message, type: 'Warning' });
    },
    pod: (prefix) => [...(store.get('pods')?.values() ?? [])].find((p) => p.metadata.name.startsWith(prefix)) as Pod | undefined,
    setPodStatus(name, next) {
      const pod = store.get('pods')?.get(name) as Pod | undefined;
      if (!pod) throw new Error(`no pod ${name}`);
      pod.status = kubeletStatus(pod, next);
      touch(pod);
      notify('pods', 'MODIFIED', pod);
    },
    log(pod, text, restartCount) {
      const current = restartCount ?? currentRestart(pod);
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
    closeWatches() {
      for (const watcher of [...watchers]) {
        watchers.delete(watcher);
        watcher.res.end();
      }
    },
    async close() {
      fake.closeWatches();
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

  function currentRestart(pod: string): number {
    return mainStatus(store.get('pods')?.get(pod) as Pod | undefined)?.restartCount ?? 0;
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
  function injectSidecars(spec: Pod['spec']): Pod['spec'] {
    const extra = fake.sidecars.filter((name) => !spec.containers.some((c) => c.name === name)).map((name) => ({ name, image: `${name}:1` }));
    return extra.length ? { ...spec, containers: [...spec.containers, ...extra] } : spec;
  }

  function ownedPods(owner: string): Obj[] {
    return [...(store.get('pods')?.values() ?? [])].filter((pod) => (pod.metadata.ownerReferences as { name: string }[] | undefined)?.some((o) => o.name === owner));
  }

  function touch(object: Obj): void {
    version += 1;
    object.metadata.resourceVersion = String(version);
  }

  function notify(resource: string, type: string, object: Obj): void {
    for (const watcher of watchers) {
      if (watcher.resource === resource && matchesSelector(object.metadata.labels, watcher.selector)) watcher.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  function put(resource: string, namespace: string, object: Obj): Obj {
    const { group, kind } = COLLECTIONS[resource] as Collection;
    const stored: Obj = {
      ...object,
      apiVersion: group,
      kind,
      metadata: { ...object.metadata, namespace, uid: `uid-${version}`, creationTimestamp: new Date().toISOString() },
    };
    touch(stored);
    store.get(resource)?.set(stored.metadata.name, stored);
    notify(resource, 'ADDED', stored);
    return stored;
  }

  function remove(resource: string, name: string): Obj | undefined {
    const object = store.get(resource)?.get(name);
    if (!object) return undefined;
    store.get(resource)?.delete(name);
    touch(object);
    notify(resource, 'DELETED', object);
    return object;
  }

  /** The pod a Deployment's ReplicaSet or a Job would create. */
  function synthesisePod(namespace: string, owner: Obj, template: { metadata?: { labels?: Record<string, string> }; spec: Pod['spec'] }, first?: Record<string, unknown>): Obj {
    podSeq += 1;
    const pod = {
      metadata: { name: `${owner.metadata.name}-${podSeq.toString(36).padStart(5, 'x')}`, labels: { ...(template.metadata?.labels ?? {}) }, ownerReferences: [{ kind: owner.kind, name: owner.metadata.name }] },
      spec: injectSidecars(template.spec),
      status: {},
    } as Pod;
    pod.status = kubeletStatus(pod, first ?? fake.podStatus(pod));
    return put('pods', namespace, pod);
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

  async function readBody(req: IncomingMessage): Promise<Obj> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Obj;
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
    const collection = store.get(resource);
    const info = COLLECTIONS[resource];
    if (!collection || !info) return send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${resource})`));
    const groupName = info.group.includes('/') ? info.group.split('/')[0] : '';
    const notFound = (): void => send(res, 404, status(404, 'NotFound', `${groupName ? `${resource}.${groupName}` : resource} "${name}" not found`));

    if (sub === 'log' && name) return handleLog(name, query, res);
    if (req.method === 'GET' && !name) {
      if (query.watch === 'true') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        const watcher = { resource, ...(query.labelSelector ? { selector: query.labelSelector } : {}), res };
        watchers.add(watcher);
        req.on('close', () => watchers.delete(watcher));
        return;
      }
      const items = [...collection.values()].filter((o) => matchesSelector(o.metadata.labels, query.labelSelector) && matchesFields(o, query.fieldSelector));
      return send(res, 200, { kind: info.listKind, apiVersion: info.group, metadata: { resourceVersion: String(version) }, items });
    }
    if (req.method === 'GET' && name) {
      const object = collection.get(name);
      return object ? send(res, 200, object) : notFound();
    }
    if (req.method === 'POST' && !name) {
      const body = await readBody(req);
      if (collection.has(body.metadata.name)) {
        return send(res, 409, status(409, 'AlreadyExists', `${resource} "${body.metadata.name}" already exists`));
      }
      if (resource === 'secrets' && body.stringData) {
        // Like kube-apiserver: stringData is write-only and merged into base64 `data`.
        const data = { ...((body.data as Record<string, string> | undefined) ?? {}) };
        for (const [key, value] of Object.entries(body.stringData as Record<string, string>)) data[key] = Buffer.from(value).toString('base64');
        body.data = data;
        delete body.stringData;
      }
      // A pod created directly (a job step) starts like a synthesised one.
      if (resource === 'pods') {
        (body as Pod).spec = injectSidecars((body as Pod).spec);
        (body as Pod).status = kubeletStatus(body as Pod, fake.podStatus(body as Pod));
      }
      const stored = put(resource, namespace, body);
      const template = (body.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec: Pod['spec'] } } | undefined)?.template;
      if ((resource === 'deployments' || resource === 'jobs') && template) synthesisePod(namespace, stored, template);
      return send(res, 201, stored);
    }
    if (req.method === 'DELETE' && name) {
      const removed = remove(resource, name);
      if (!removed) return notFound();
      if (resource === 'deployments' || resource === 'jobs') {
        for (const pod of ownedPods(name)) remove('pods', pod.metadata.name);
      }
      if (resource === 'pods') fake.endContainer(name, currentRestart(name));
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource } });
    }
    return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} is not supported by the fake`));
  }

  function handleLog(pod: string, query: Record<string, string>, res: ServerResponse): void {
    if (!store.get('pods')?.has(pod)) return send(res, 404, status(404, 'NotFound', `pods "${pod}" not found`));
    const current = currentRestart(pod);
    const restartCount = query.previous === 'true' ? current - 1 : current;
    if (restartCount < 0) return send(res, 400, status(400, 'BadRequest', `previous terminated container "c" in pod "${pod}" not found`));
    const since = query.sinceTime ? Date.parse(query.sinceTime) : undefined;
    const stamp = query.timestamps === 'true';
    const lines = (logs.get(pod) ?? []).filter((l) => l.restartCount === restartCount && (since === undefined || Date.parse(l.timestamp.replace(/\.\d+/, '')) >= since));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    for (const line of lines) res.write(`${stamp ? `${line.timestamp} ` : ''}${line.text}\n`);
    // Following a container that already ended returns what it printed, like the kubelet.
    const ended = Boolean(mainStatus(store.get('pods')?.get(pod) as Pod | undefined)?.state?.terminated);
    if (query.follow === 'true' && query.previous !== 'true' && !ended) {
      const follower = { pod, restartCount, stamp, res };
      followers.add(follower);
      res.on('close', () => followers.delete(follower));
      return;
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, status(500, 'InternalError', String(error))));
  });
  // pods/exec: the client speaks the channel protocol (1 stdout, 2 stderr, 3 the final Status).
  const sockets = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  server.on('upgrade', function onUpgrade(req, socket, head) {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const match = /^\/api\/v1\/namespaces\/[^/]+\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!match || req.headers.authorization !== 'Bearer fake-token') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const pod = match[1] ?? '';
    const command = url.searchParams.getAll('command');
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const frame = (channel: number, text: string): Buffer => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
      const result = store.get('pods')?.has(pod) ? fake.exec(pod, command) : { error: `pods "${pod}" not found` };
      if ('error' in result) {
        ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', code: 500 })));
      } else {
        if (result.output) ws.send(frame(1, result.output));
        const done =
          result.exitCode === 0
            ? { metadata: {}, status: 'Success' }
            : {
                metadata: {},
                status: 'Failure',
                message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${result.exitCode}`,
                reason: 'NonZeroExitCode',
                details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
              };
        ws.send(frame(3, JSON.stringify(done)));
      }
      ws.close();
    });
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
