/**
 * Session plans: the fully resolved description of a session's services that every runtime
 * executes the same way. Produced by pure functions in src/plan (no I/O), so naming, env and URL
 * rules live in one place. Facts: docs/orchest-compatibility.md (session start to environment variables).
 */
import type { ReadinessSpec, Scope, ServiceSpec } from '../spec/index.ts';

export type RuntimeKind = 'local' | 'docker' | 'kubernetes';

export interface SessionContext {
  /** Berth installation id: every runtime object carries it as a label. */
  installationId: string;
  projectUuid: string;
  pipelineUuid: string;
  /** Pipeline file path relative to the project directory, e.g. `main.orchest`. */
  pipelinePath: string;
  sessionType: Scope;
  /** Job run uuid; required for noninteractive sessions (it is their session uuid). */
  runUuid?: string;
  /** Host path of the project directory (a job run's copy for noninteractive sessions). */
  projectDir: string;
  /** Host path of the shared data directory (Orchest's `/data`). */
  dataDir: string;
  /**
   * User env vars visible to `env_variables_inherit`: project+pipeline merged (pipeline wins)
   * for interactive sessions, the job's env vars for runs. Treated as secrets.
   */
  userEnv: Record<string, string>;
  /** `environment@<uuid>` -> pinned image reference, resolved by the caller before planning. */
  environmentImages?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value: string;
  /** Where the value came from: inherited values are secrets and are masked in output. */
  source: 'service' | 'inherited' | 'orchest';
}

export interface MountPlan {
  /** Which host directory: the project directory or the shared data directory. */
  source: 'project' | 'data';
  hostPath: string;
  /** Absolute path inside the service (the bind's value). */
  target: string;
}

export interface RoutePlan {
  port: number;
  /** `service-<name>-<session_uuid>_<port>` or `pbp-service-…` (no slashes). */
  name: string;
  /** `/` + name: the URL path prefix the proxy matches. */
  basePath: string;
  /** True unless preserve_base_path: the upstream sees the path with the prefix removed. */
  stripPrefix: boolean;
  requiresAuthentication: boolean;
}

/** Readiness resolved to concrete values; `timeoutMs` is the one start deadline of the service. */
export type ReadinessPlan =
  | { type: 'port'; ports: number[]; timeoutMs: number; intervalMs: number }
  | { type: 'http'; port: number; path: string; status: number[]; timeoutMs: number; intervalMs: number }
  | { type: 'log'; pattern: string; timeoutMs: number; intervalMs: number }
  | { type: 'command'; command: string[]; timeoutMs: number; intervalMs: number }
  | { type: 'none'; timeoutMs: number; intervalMs: number };

export interface ServicePlan {
  name: string;
  sessionUuid: string;
  /** `<name>-<session_uuid>` (RFC 1035 label, ≤ 63 chars). */
  hostname: string;
  /** Image reference to run; for `environment@` the pinned image from the context. */
  image: string;
  /** Set when the spec said `environment@<uuid>`. */
  environmentUuid?: string;
  /** Entrypoint override, one element (Orchest never split `command`); undefined = image default. */
  command?: string[];
  /** CMD override, split like a POSIX shell; undefined = image default. */
  args?: string[];
  /** Ordered: service vars < inherited vars < ORCHEST_* (the later entry wins, none shadows ORCHEST_*). */
  env: EnvVar[];
  mounts: MountPlan[];
  ports: number[];
  exposed: boolean;
  requiresAuthentication: boolean;
  preserveBasePath: boolean;
  /** One route per port, only when exposed. */
  routes: RoutePlan[];
  readiness: ReadinessPlan;
  dependsOn: string[];
  /** installation, project, pipeline, session, service (keys in LABELS). */
  labels: Record<string, string>;
  /** Stable hash of everything above that affects the running service: apply restarts on change. */
  specHash: string;
  /** The service spec after `$BASE_PATH_PREFIX` substitution: what the SDK returns (minus scope). */
  spec: ServiceSpec;
}

export interface SessionPlan {
  sessionUuid: string;
  sessionType: Scope;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  /** Services whose scope includes the session type, sorted by `order`. */
  services: ServicePlan[];
  /** Non-fatal findings (e.g. inherited var not defined), for the CLI and events. */
  warnings: string[];
}

/** Label keys on every runtime object (Docker labels, k8s labels, local state files). */
export const LABELS = {
  installation: 'berth.installation',
  project: 'berth.project',
  pipeline: 'berth.pipeline',
  session: 'berth.session',
  service: 'berth.service',
} as const;

export type { ReadinessSpec };
