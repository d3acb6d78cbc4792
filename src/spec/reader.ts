/**
 * Pipeline files parsed and checked on a worker thread, for the server. Checking a 1,000-service
 * file takes 30 ms once its code is compiled and 100-160 ms the first time: on the event loop that
 * held /api/health and every other request for as long. Reading the file stays on the caller's
 * thread (it is asynchronous I/O); only parsePipeline runs on the worker.
 *
 * One worker per process (pipelineReader()), started on first use and not keeping the process alive. It runs this module: the
 * bundle has no file of its own for it, and the module knows its own URL wherever it is loaded from.
 * A worker that dies (a bug, or the memory cap a hostile file could reach) fails the loads it had,
 * as a load that threw; the next load starts a new one.
 */
import { isMainThread, parentPort, SHARE_ENV, Worker, workerData, type WorkerOptions } from 'node:worker_threads';
import { loadPipelineFile, parsePipeline } from './parse.ts';
import type { LoadedPipeline } from './types.ts';
import type { ValidateOptions } from './validate.ts';

const ROLE = 'berth-pipeline-reader';
/** A file is at most 1 MiB (limits.ts); its parsed form and diagnostics are far below this. */
const WORKER_HEAP_MB = 256;
/**
 * A worker with its own heap is about 15 MB of a server's memory: it ends when no file came for
 * this long, and the next load starts another (on its own thread: the event loop does not wait).
 */
const IDLE_MS = 30_000;

interface ParseRequest {
  id: number;
  text: string;
  file: string;
  options: ValidateOptions;
}
type ParseAnswer = { id: number; loaded: LoadedPipeline } | { id: number; failure: string };

interface Waiting {
  resolve(loaded: LoadedPipeline): void;
  reject(error: Error): void;
}

/** A worker and the loads waiting for it. */
interface Running {
  worker: Worker;
  waiting: Map<number, Waiting>;
  idle?: NodeJS.Timeout;
}

export class PipelineReader {
  #running: Running | undefined;
  #lastId = 0;
  readonly #idleMs: number;

  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? IDLE_MS;
  }

  /** loadPipelineFile, with the parse and checks on the worker. */
  load(file: string, options: ValidateOptions = {}): Promise<LoadedPipeline> {
    return loadPipelineFile(file, options, (text) => this.#parse({ id: ++this.#lastId, text, file, options }));
  }

  /** Whether a worker runs now. */
  get started(): boolean {
    return this.#running !== undefined;
  }

  /** Loads handed to the worker and not answered yet. */
  get pending(): number {
    return this.#running?.waiting.size ?? 0;
  }

  /** Ends the worker; loads still waiting fail. */
  async close(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    await running?.worker.terminate();
  }

  #parse(request: ParseRequest): Promise<LoadedPipeline> {
    const running = (this.#running ??= this.#spawn());
    const { worker, waiting } = running;
    clearTimeout(running.idle);
    return new Promise((resolve, reject) => {
      // The worker keeps the process alive only while a load waits for it.
      if (waiting.size === 0) worker.ref();
      waiting.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  #spawn(): Running {
    // SHARE_ENV: the limits read BERTH_MAX_SERVICES as the server has it now, not as it was at the spawn.
    const worker = startWorker({ workerData: { role: ROLE }, env: SHARE_ENV, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    const running: Running = { worker, waiting: new Map() };
    const { waiting } = running;
    worker.on('message', (answer: ParseAnswer) => {
      const load = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (waiting.size === 0) {
        worker.unref();
        running.idle = setTimeout(() => {
          if (this.#running === running) void this.close();
        }, this.#idleMs).unref();
      }
      if ('loaded' in answer) load?.resolve(answer.loaded);
      else load?.reject(new Error(answer.failure));
    });
    const ended = (reason: string): void => {
      clearTimeout(running.idle);
      if (this.#running === running) this.#running = undefined;
      for (const load of waiting.values()) load.reject(new Error(`the pipeline reader stopped: ${reason}`));
      waiting.clear();
    };
    worker.on('error', (error) => ended(error.message));
    worker.on('exit', (code) => ended(`exit code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return running;
  }
}

let shared: PipelineReader | undefined;

/** The process's reader: one worker serves every server and project of the process. */
export function pipelineReader(): PipelineReader {
  return (shared ??= new PipelineReader());
}

/**
 * The worker's code: this module. Run from TypeScript (tests, BERTH_FROM_SOURCE=1) the worker
 * registers tsx first; it does not inherit the loader its parent registered.
 */
function startWorker(options: WorkerOptions): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { ...options, execArgv: [] });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(boot, { ...options, eval: true, execArgv: [] });
}

function serveParses(): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', function parseOnWorker({ id, text, file, options }: ParseRequest) {
    let answer: ParseAnswer;
    try {
      answer = { id, loaded: parsePipeline(text, file, options) };
    } catch (error) {
      answer = { id, failure: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(answer);
  });
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === ROLE) serveParses();
