/**
 * The runtime interface: small on purpose. Runtimes execute ServicePlans and report what is
 * running; they hold no business rules (naming, env, readiness policy and restarts live in
 * src/plan and src/sessions).
 */
import type { Socket } from 'node:net';
import type { MountPlan, RuntimeKind, ServicePlan } from '../plan/index.ts';

/** Opaque handle of one running service instance (a process group, a container, a Deployment). */
export interface RuntimeRef {
  runtime: RuntimeKind;
  /** Runtime-specific id: pgid for local, container id for docker, object name for kubernetes. */
  id: string;
  sessionUuid: string;
  service: string;
}

export type RuntimeState =
  | { state: 'running'; startedAt?: string }
  | { state: 'exited'; exitCode: number | null; signal?: string | null; reason?: string }
  | { state: 'waiting'; reason: string; fatal: boolean }
  | { state: 'missing' };

export interface RuntimeObject {
  ref: RuntimeRef;
  labels: Record<string, string>;
  state: RuntimeState;
}

export interface Endpoint {
  host: string;
  port: number;
  /**
   * A port proxy of the engine sits in front of the service (Docker's userland `docker-proxy` on a
   * published port): it accepts connections whether or not anything listens behind it, so an
   * accepted connection alone does not prove a listener (docs/runtimes/docker.md, "Readiness").
   */
  proxied?: boolean;
  /**
   * Dial this Unix socket instead of host:port (the local runtime's isolated sessions: a forwarder
   * into the session's network namespace; docs/runtimes/local.md). host:port stay for messages.
   */
  socketPath?: string;
  /**
   * A Unix socket that answers `ok` when something listens on the port inside (else `refused <code>`):
   * how a port check proves a listener behind `socketPath`'s forwarder, which accepts before it dials.
   */
  probeSocketPath?: string;
}

/** The runtime's own word on readiness (kubernetes: the pod's readinessProbe, read from its status). */
export interface RuntimeReadiness {
  ready: boolean;
  /** What the runtime reports, for the timeout message ("pod x: container redis not ready: …"). */
  detail: string;
}

export interface StartOptions {
  /** Append everything the service prints here (created if missing, never truncated). */
  logFile: string;
  /** Progress for long work (image pulls): one human-readable line per call. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

/**
 * A runtime's exits as they happen. The exit watcher skips each tick the instances `tells` answers
 * true for and queues a reconcile when a listener hears one: 1,000 ready local services were 1,000
 * inspections a second.
 */
export interface ExitFeed {
  /** Whether the instance runs and its exit will be told (false: it exited, or nobody would tell). */
  tells(ref: RuntimeRef): boolean;
  /** Calls `listener` with each instance that exits; returns the way to stop listening. */
  listen(listener: (ref: RuntimeRef) => void): () => void;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /** Per-session setup (docker: the session network). Idempotent. */
  prepareSession(sessionUuid: string, labels: Record<string, string>): Promise<void>;
  /** Per-session teardown after every service is stopped (docker: remove the network). Idempotent. */
  cleanupSession(sessionUuid: string): Promise<void>;
  /**
   * Sessions the runtime holds anything of, with or without a service instance (local: namespace
   * holders, session directories). Recovery calls cleanupSession for those no session wants; a
   * runtime without per-session objects beyond its instances leaves it out.
   */
  heldSessions?(): Promise<string[]>;
  /**
   * Starts one service. Fails fast with a RuntimeError (code + reason a person can act on) when it
   * cannot start at all: port in use, image missing and not pullable, executable not found.
   */
  start(plan: ServicePlan, options: StartOptions): Promise<RuntimeRef>;
  /** Graceful stop (SIGTERM / docker stop), then forced after `graceMs`; removes the instance. Idempotent. */
  stop(ref: RuntimeRef, options?: { graceMs?: number }): Promise<void>;
  /** Every instance carrying all the given labels (used for recovery and "no orphans"). */
  list(labels: Record<string, string>): Promise<RuntimeObject[]>;
  inspect(ref: RuntimeRef): Promise<RuntimeState>;
  /** Exits the runtime is told of as they happen (local: by its launcher); where absent, the exit watcher inspects. */
  readonly exits?: ExitFeed;
  /** Where the proxy and readiness checks reach `port` of the service. */
  endpoint(ref: RuntimeRef, port: number): Promise<Endpoint>;
  /**
   * Where the runtime itself checks readiness (kubernetes: the kubelet runs the pod's probe next to
   * the container), its verdict; undefined where it has no check for this plan and Berth's own
   * check must run.
   */
  readiness?(ref: RuntimeRef, plan: ServicePlan): Promise<RuntimeReadiness | undefined>;
  /** The host name steps and the SDK should use for this service in this runtime. */
  internalHostname(plan: ServicePlan): string;
  /**
   * The argv prefix that runs a host program inside the session's network (local runtime in
   * namespace mode: nsenter into the session's namespaces); undefined where steps run as they are.
   * `cwd`: its working directory; `hostPorts`: loopback ports of the host it must still reach there (Berth's API).
   */
  sessionEnterArgv?(sessionUuid: string, options: { cwd: string; hostPorts?: number[] }): Promise<string[] | undefined>;
  /**
   * A socket connected to `port` of a service inside the session's own network, for the proxy
   * (local runtime in namespace mode: a dialer hands it over, docs/runtimes/local.md); absent where
   * the endpoint's host:port or socketPath is dialled as it is.
   */
  dial?(sessionUuid: string, port: number): Promise<Socket>;
  /** How sessions are isolated on this runtime (local: namespace or host, and why). */
  readonly isolation?: { mode: string; reason: string };
  /** Runs a command next to the service (local: on the host, docker: exec in the container). */
  exec(ref: RuntimeRef, argv: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult>;
  /** Re-attach log shipping after a Berth restart (docker follows container logs into logFile). */
  reattachLogs?(ref: RuntimeRef, logFile: string): Promise<void>;
  /**
   * How this runtime builds environment images so its services can run them (docker: its engine,
   * kubernetes: a Job pushing to the configured registry). Absent: builds use any engine that
   * answers (the local runtime). Throws a RuntimeError when the runtime lacks the configuration.
   */
  imageBuilder?(): ImageBuilder;
  /**
   * Runs a container to completion next to the session's services (a job step): docker runs it
   * as a container on the session network, kubernetes as a Pod. Resolves with the exit code, or a reason when it could not run or was cancelled;
   * the task's objects are removed afterwards in every case.
   */
  runTask?(task: TaskSpec, options: TaskOptions): Promise<TaskResult>;
  /** Releases clients, followers and timers (not the services). */
  close(): Promise<void>;
}

/**
 * Builds an environment image where the runtime's services can run it: through the Engine API
 * (docker, and the local runtime when an engine answers) or as a build Job that pushes to a
 * registry (kubernetes). src/environments owns the build records and the Dockerfile; a builder
 * only runs the build and says which image reference services should use.
 */
export interface ImageBuilder {
  /** Where builds run, for messages: `engine at unix:///var/run/docker.sock`, `kubernetes Job → registry/x`. */
  readonly description: string;
  build(request: ImageBuildRequest): Promise<{ image: string }>;
  /**
   * Removes an image an older build made, unless something still uses it (never forced). Absent
   * where images live in a registry (kubernetes): those are the registry's to expire.
   */
  remove?(image: string): Promise<'removed' | 'in use' | 'missing'>;
}

export interface ImageBuildRequest {
  projectUuid: string;
  environmentUuid: string;
  /** Build number of the environment (1, 2, …). */
  number: number;
  /** The project directory as Berth sees it. */
  projectDir: string;
  /** Generated Dockerfile: `COPY project/ …` and `.berth-build/setup_script.sh` from the context. */
  dockerfile: string;
  setupScript: string;
  /** The whole build context as a tar (project under `project/`, Dockerfile at `dockerfilePath`), made on demand. */
  context(): Promise<{ tar: Buffer; dockerfilePath: string }>;
  /** The name an engine tags the image with (`berth-env-<project>-<environment>:<n>`). */
  tag: string;
  /** Each whole line of the build's output, as it arrives. */
  onLog(line: string): void;
  signal?: AbortSignal;
}

/** A container that runs once to its end, on the session's network. */
export interface TaskSpec {
  /** Unique per run and step, a DNS label (`berth-step-<run>-<step>`). */
  name: string;
  sessionUuid: string;
  image: string;
  /** Replaces the image's entrypoint and command. */
  argv: string[];
  workingDir: string;
  env: Record<string, string>;
  /** Host directories (project: under the projects mount; data: the shared data directory). */
  mounts: (MountPlan & { readOnly?: boolean })[];
  /** Small files made for this task, read-only at their absolute paths. */
  files: { path: string; content: string }[];
  /**
   * Berth's own files and directories on its host (the Python SDK, the session's services file),
   * read-only at `target`. A runtime that shares Berth's filesystem binds them (docker); one that
   * does not ships their contents as `files` do (kubernetes: the task's ConfigMap).
   */
  hostFiles?: { hostPath: string; target: string }[];
  /**
   * Names of env variables whose value is a URL of Berth's own host (BERTH_API_URL): where the
   * task's container reaches that host under another name (docker: `host.docker.internal`), the
   * runtime rewrites a loopback host to it.
   */
  hostUrlEnv?: string[];
  labels: Record<string, string>;
}

export interface TaskOptions {
  /** Everything the task prints is appended here. */
  logFile: string;
  signal: AbortSignal;
  /** Grace of a cancelled task before it is killed. */
  graceMs?: number;
}

export type TaskResult = { exitCode: number; reason?: string } | { exitCode: null; reason: string };
