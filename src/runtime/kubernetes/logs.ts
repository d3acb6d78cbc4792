/**
 * Follows one service's container log into its log file, across container restarts: the kubelet
 * restarts a crashed container in the same pod (restartCount + 1) and the log stream of the old
 * one ends, so the follower attaches again to the new one (Orchest's sidecar did not: docs/orchest-compatibility.md, "Logs"). When
 * a restart happened while nobody followed (Berth was down, or the container crashed before the
 * follower attached) the previous container's log is read once (`previous=true`), so its lines are
 * kept. Lines are requested with timestamps and a cursor (`<logFile>.cursor`: container instance,
 * last timestamp, lines at that timestamp) avoids duplicates when re-attaching.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { Log, type V1Pod } from '@kubernetes/client-node';
import { readLogCursor, writeLogCursor } from '../log-cursor.ts';
import type { KubernetesClients } from './client.ts';
import { containerInstance, containerStatus } from './pod-status.ts';
import type { PodWatch } from './pod-watch.ts';

interface Cursor {
  /** `<pod>#<restartCount>`: one container instance. */
  instance: string;
  timestamp: string;
  count: number;
}

export interface LogFollower {
  /** Resolves when every attach queued so far has finished (tests, stop). */
  idle(): Promise<void>;
  stop(): void;
}

export interface FollowOptions {
  clients: KubernetesClients;
  namespace: string;
  container: string;
  service: string;
  /** Labels selecting the service's pods. */
  selector: Record<string, string>;
  logFile: string;
  watch: PodWatch;
}

function readCursor(logFile: string): Cursor | undefined {
  return readLogCursor<Cursor>(logFile, (c) => typeof c.instance === 'string' && typeof c.timestamp === 'string');
}


/** RFC 3339 with up to nanoseconds; compares the fraction as digits (string order fails across lengths). */
export function compareTimestamps(a: string, b: string): number {
  const split = (t: string): [number, string] => {
    const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
    return match ? [Date.parse(`${match[1]}${match[3]}`), (match[2] ?? '').padEnd(9, '0')] : [Date.parse(t), ''];
  };
  const [sa, fa] = split(a);
  const [sb, fb] = split(b);
  if (sa !== sb) return Math.sign(sa - sb);
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

export function followServiceLogs(options: FollowOptions): LogFollower {
  const { clients, namespace, container, logFile, watch } = options;
  const log = new Log(clients.config);
  /** Instances whose stream was read to its end: nothing of them is missing. */
  const completed = new Set<string>();
  let active: { instance: string; controller?: AbortController; ended: Promise<void>; end: () => void } | undefined;
  let queue: Promise<void> = Promise.resolve();
  let queued: string | undefined;
  let stopped = false;
  mkdirSync(dirname(logFile), { recursive: true });

  /** Streams one container instance's log into the file; resolves when the stream ends. */
  async function stream(pod: string, instance: string, previous: boolean): Promise<{ ended: Promise<void>; controller?: AbortController; end: () => void }> {
    const cursor = readCursor(logFile);
    const resume = cursor && cursor.instance === instance ? cursor : undefined;
    let last = resume;
    let skipAtLast = resume?.count ?? 0;
    let partial = '';
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const writeLines = (text: string, final: boolean): void => {
      const lines = (partial + text).split('\n');
      partial = final ? '' : (lines.pop() ?? '');
      const out: string[] = [];
      for (const raw of lines) {
        if (raw === '' && final) continue;
        const space = raw.indexOf(' ');
        const timestamp = space > 0 && /^\d{4}-\d\d-\d\dT/.test(raw) ? raw.slice(0, space) : '';
        const line = timestamp ? raw.slice(space + 1) : raw;
        if (resume && timestamp) {
          const order = compareTimestamps(timestamp, resume.timestamp);
          if (order < 0) continue;
          if (order === 0 && skipAtLast > 0) {
            skipAtLast -= 1;
            continue;
          }
        }
        out.push(`${line}\n`);
        if (timestamp) last = last && last.instance === instance && last.timestamp === timestamp ? { instance, timestamp, count: last.count + 1 } : { instance, timestamp, count: 1 };
      }
      if (out.length === 0) return;
      appendFileSync(logFile, out.join(''));
      if (last) writeLogCursor(logFile, last);
    };
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writeLines(chunk.toString('utf8'), false);
        callback();
      },
      final(callback) {
        writeLines('', true);
        end();
        callback();
      },
    });
    sink.on('close', () => end());
    sink.on('error', () => end());
    const since = resume ? { sinceTime: resume.timestamp.replace(/\.\d+/, '') } : {};
    const controller = await log.log(namespace, pod, container, sink, { follow: !previous, previous, timestamps: true, ...since });
    controller.signal.addEventListener('abort', () => end(), { once: true });
    return { ended, controller, end };
  }

  async function attach(pod: V1Pod): Promise<void> {
    const found = containerInstance(pod, container);
    if (stopped || !found?.started) return;
    const instance = `${found.pod}#${found.restartCount}`;
    if (active?.instance === instance || completed.has(instance)) return;
    if (active) {
      // The old container is gone; its stream ends by itself, give it a moment to deliver the last lines.
      await Promise.race([active.ended, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      active.controller?.abort();
      active = undefined;
    }
    const cursor = readCursor(logFile);
    const previousInstance = `${found.pod}#${found.restartCount - 1}`;
    const missedPrevious = found.restartCount > 0 && cursor?.instance !== instance && !completed.has(previousInstance);
    if (missedPrevious) {
      try {
        const previous = await stream(found.pod, previousInstance, true);
        await previous.ended;
        completed.add(previousInstance);
      } catch {
        // the kubelet keeps only one previous container; an older one's lines are gone
      }
    }
    if (found.restartCount > 0 && cursor?.instance !== instance) {
      appendFileSync(logFile, `--- berth: ${options.service} container restarted by Kubernetes (restart ${found.restartCount}) ---\n`);
    } else if (cursor && !cursor.instance.startsWith(`${found.pod}#`)) {
      // Eviction, drain, node loss: the Deployment's ReplicaSet made a new pod; say so between the two logs.
      appendFileSync(logFile, `--- berth: ${options.service} pod replaced by Kubernetes (now pod ${found.pod}) ---\n`);
    }
    let current: Awaited<ReturnType<typeof stream>>;
    try {
      current = await stream(found.pod, instance, false);
    } catch {
      return; // not started yet or already gone: the next pod event tries again
    }
    active = { instance, ...current };
    void current.ended.then(() => {
      if (active?.instance !== instance) return;
      active = undefined;
      const now = watch.pods(options.selector).find((p) => p.metadata?.name === found.pod);
      const again = now && containerInstance(now, container);
      const stillRunning = again && again.restartCount === found.restartCount && containerStatus(now, container)?.state?.running;
      if (stillRunning && !stopped) {
        // The server closed a follow early (it does after a while); continue from the cursor.
        setTimeout(() => now && enqueue(now), 500).unref();
      } else {
        completed.add(instance);
      }
    });
  }

  function enqueue(pod: V1Pod): void {
    const found = containerInstance(pod, container);
    if (!found?.started) return;
    const instance = `${found.pod}#${found.restartCount}`;
    if (queued === instance || active?.instance === instance) return;
    queued = instance;
    queue = queue.then(() => attach(pod)).catch(() => undefined).finally(() => {
      if (queued === instance) queued = undefined;
    });
  }

  const matches = (pod: V1Pod): boolean => Object.entries(options.selector).every(([key, value]) => pod.metadata?.labels?.[key] === value);
  const unsubscribe = watch.subscribe((pod, type) => {
    if (type !== 'DELETED' && matches(pod)) enqueue(pod);
  });
  for (const pod of watch.pods(options.selector)) enqueue(pod);

  return {
    async idle(): Promise<void> {
      await queue;
    },
    stop(): void {
      stopped = true;
      unsubscribe();
      active?.controller?.abort();
      active?.end();
      active = undefined;
    },
  };
}
