import type { Endpoint, ExecResult, RuntimeReadiness, RuntimeState } from '../../runtime/index.ts';

/** What readiness checks may use of a started service (bound to one runtime ref by the caller). */
export interface ReadinessProbe {
  endpoint(port: number): Promise<Endpoint>;
  /** The service's log file; only what follows this start's marker counts. */
  logFile: string;
  exec(argv: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult>;
  state(): Promise<RuntimeState>;
  /**
   * The runtime's own verdict where it checks readiness itself (kubernetes: the pod's probe); when it
   * answers, Berth's check is not run, since only the runtime reaches the service from inside.
   */
  runtimeReadiness?(): Promise<RuntimeReadiness | undefined>;
  signal?: AbortSignal;
}

export interface AttemptContext {
  /** Aborts when the attempt's time is up or the wait is aborted. */
  signal: AbortSignal;
  /** Milliseconds this attempt may take (never past the service's deadline). */
  timeoutMs: number;
}

export interface CheckResult {
  ready: boolean;
  /** What this attempt saw, for the timeout message ("connect ECONNREFUSED 127.0.0.1:6379"). */
  detail: string;
  /** Retrying cannot help (e.g. the check's own program is missing): fail now. */
  fatal?: boolean;
}

/** One readiness strategy (port, http, log, command, none). */
export interface ReadinessCheck {
  /** For messages: "TCP port 6379", "HTTP GET /health on port 8000 answering 200". */
  readonly description: string;
  attempt(probe: ReadinessProbe, context: AttemptContext): Promise<CheckResult>;
}
