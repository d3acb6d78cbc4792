/**
 * The lifecycle of environment builds as the server runs them: a build starts in the background
 * under the next number, can be cancelled while it runs, and its log is followed live (the lines
 * so far, then each new one) while it runs and read from its record afterwards. Builds a previous
 * Berth left running are marked failed when this one starts.
 */
import { EventEmitter } from 'node:events';
import type { ImageBuilder } from '../runtime/index.ts';
import type { Db } from '../store/index.ts';
import { buildEnvironment } from './build.ts';
import { EnvironmentError } from './errors.ts';
import { environmentBuildStore, type EnvironmentBuild, type EnvironmentBuildStore } from './store.ts';

export interface EnvironmentBuildsOptions {
  db: Db;
  /** True when an active session runs the image: a build's cleanup of older images keeps it. */
  imageInUse?: (image: string) => boolean;
}

/** A running build as a follower sees it. */
export interface LiveBuild {
  /** The lines so far. */
  readonly lines: readonly string[];
  readonly done: boolean;
  /** Calls `onLine` for each new line and `onDone` once the build ended; returns the unsubscribe of `onLine`. */
  follow(onLine: (line: string) => void, onDone: () => void): () => void;
}

interface Live {
  lines: string[];
  events: EventEmitter;
  done: boolean;
  controller: AbortController;
}

export type CancelResult = { build: EnvironmentBuild | undefined } | { problem: 'not found' | 'not running' };

export class EnvironmentBuilds {
  readonly #o: EnvironmentBuildsOptions;
  readonly #store: EnvironmentBuildStore;
  readonly #live = new Map<string, Live>();

  constructor(options: EnvironmentBuildsOptions) {
    this.#o = options;
    this.#store = environmentBuildStore(options.db);
    this.#store.failInterrupted();
  }

  /** An environment's builds (without their logs) and the image sessions use now. */
  summary(projectUuid: string, environmentUuid: string): { builds: Omit<EnvironmentBuild, 'log'>[]; currentImage: string | null } {
    const builds = this.#store.list(projectUuid, environmentUuid).map(({ log: _log, ...rest }) => rest);
    return { builds, currentImage: this.#store.current(projectUuid, environmentUuid)?.image ?? null };
  }

  get(projectUuid: string, environmentUuid: string, number: number): EnvironmentBuild | undefined {
    return this.#store.get(projectUuid, environmentUuid, number);
  }

  /** Starts the next build of the environment in the background with `builder`; resolves at once with its number. */
  start(project: { uuid: string; path: string }, environmentUuid: string, builder: ImageBuilder): { number: number; status: 'building' } {
    const number = this.#store.list(project.uuid, environmentUuid).reduce((max, b) => Math.max(max, b.number), 0) + 1;
    const key = liveKey(project.uuid, environmentUuid, number);
    const live: Live = { lines: [], events: new EventEmitter(), done: false, controller: new AbortController() };
    this.#live.set(key, live);
    const say = (line: string) => {
      live.lines.push(line);
      live.events.emit('line', line);
    };
    void buildEnvironment({
      builder,
      projectDir: project.path,
      projectUuid: project.uuid,
      environmentUuid,
      db: this.#o.db,
      signal: live.controller.signal,
      ...(this.#o.imageInUse ? { imageInUse: this.#o.imageInUse } : {}),
      onLog: say,
    })
      .catch((error: unknown) => {
        // A failed or cancelled build has said so in its log already; anything else (the environment vanished) has not.
        if (error instanceof EnvironmentError && ['BERTH_ENV_BUILD_FAILED', 'BERTH_ENV_BUILD_CANCELLED'].includes(error.code)) return;
        say(`berth: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.#close(key));
    return { number, status: 'building' };
  }

  /** Cancels a running build and resolves once its record says so. */
  async cancel(projectUuid: string, environmentUuid: string, number: number): Promise<CancelResult> {
    const live = this.#live.get(liveKey(projectUuid, environmentUuid, number));
    if (!live || live.done) return { problem: this.get(projectUuid, environmentUuid, number) ? 'not running' : 'not found' };
    live.controller.abort();
    // The builder stops (the engine's build request is aborted, the Kubernetes Job deleted) and the record says cancelled.
    await new Promise<void>((resolve) => (live.done ? resolve() : live.events.once('done', () => resolve())));
    return { build: this.get(projectUuid, environmentUuid, number) };
  }

  /** The build while it runs (or just ended), else undefined: its record has the whole log. */
  live(projectUuid: string, environmentUuid: string, number: number): LiveBuild | undefined {
    const live = this.#live.get(liveKey(projectUuid, environmentUuid, number));
    if (!live) return undefined;
    return {
      get lines() {
        return live.lines;
      },
      get done() {
        return live.done;
      },
      follow(onLine, onDone) {
        live.events.on('line', onLine);
        live.events.once('done', () => {
          live.events.off('line', onLine);
          onDone();
        });
        return () => live.events.off('line', onLine);
      },
    };
  }

  #close(key: string): void {
    const live = this.#live.get(key);
    if (!live) return;
    live.done = true;
    live.events.emit('done');
    // Followers that arrive later read the stored log; keep the entry briefly for the race.
    setTimeout(() => this.#live.delete(key), 5_000).unref();
  }
}

function liveKey(projectUuid: string, environmentUuid: string, number: number): string {
  return `${projectUuid}/${environmentUuid}/${number}`;
}
