/**
 * The pipeline file as Berth sees it after loading and migrating (Orchest pipeline version 1.2.3,
 * plus Berth's extensions). These types are the contract between src/spec (which produces them)
 * and every other layer. The zod schema in schema.ts must stay assignable to them.
 *
 * Field facts: docs/orchest-compatibility.md, "Pipeline files and fields".
 */

export type Scope = 'interactive' | 'noninteractive';
export const SCOPES: readonly Scope[] = ['interactive', 'noninteractive'];

/** The only bind sources Orchest ever allowed; the value is the mount path inside the service. */
export type BindSource = '/data' | '/project-dir';
export const BIND_SOURCES: readonly BindSource[] = ['/data', '/project-dir'];

/** Current pipeline schema version written by Orchest (compat.py latest_pipeline_version). */
export const CURRENT_PIPELINE_VERSION = '1.2.3';

/**
 * Berth extension: how to tell that a service is ready. Absent = every declared port accepts a TCP
 * connection. One deadline per service: `timeout_seconds` (default 60).
 */
export type ReadinessSpec =
  | { type: 'port'; ports?: number[]; timeout_seconds?: number }
  | { type: 'http'; port?: number; path?: string; status?: number[]; timeout_seconds?: number }
  | { type: 'log'; pattern: string; timeout_seconds?: number }
  | { type: 'command'; command: string[]; timeout_seconds?: number }
  | { type: 'none'; timeout_seconds?: number };

export interface ServiceSpec {
  /** `^[a-z][0-9a-z-]{0,25}$`, not ending in `-`, equal to its key in `services`. */
  name: string;
  /** An image reference, or `environment@<uuid>` for an environment built by Berth. */
  image: string;
  scope: Scope[];
  /** Executable (one argv element, never split). Absent or empty: the image's entrypoint. */
  command?: string;
  /** Arguments, split like a POSIX shell. Absent or empty: the image's CMD. */
  args?: string;
  /** Versioned in the pipeline file: not for secrets. */
  env_variables?: Record<string, string>;
  /** Names copied from project+pipeline env vars (interactive) or job env vars (jobs). */
  env_variables_inherit?: string[];
  binds?: Partial<Record<BindSource, string>>;
  ports: number[];
  exposed: boolean;
  /** Default true. */
  requires_authentication?: boolean;
  /** Default false. */
  preserve_base_path?: boolean;
  /** UI row order only, unique per pipeline. Not a start order. */
  order: number;
  /** Berth extension. */
  readiness?: ReadinessSpec;
  /** Berth extension: names of services of the same pipeline that must be ready first. */
  depends_on?: string[];
  /** Unknown fields are kept and written back unchanged. */
  [extra: string]: unknown;
}

export interface StepSpec {
  uuid: string;
  title: string;
  file_path: string;
  incoming_connections: string[];
  environment: string;
  parameters: Record<string, unknown>;
  kernel?: { name?: string; display_name?: string };
  meta_data?: { position?: [number, number]; hidden?: boolean; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface PipelineSpec {
  uuid: string;
  name: string;
  version: string;
  steps: Record<string, StepSpec>;
  parameters?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  services?: Record<string, ServiceSpec>;
  [extra: string]: unknown;
}

export type Severity = 'error' | 'warning';

/** One finding about a pipeline file, always with the file and the field path it is about. */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `BERTH_SPEC_PORT_RANGE`. */
  code: string;
  /** The file it is about (as given by the caller). */
  file: string;
  /** Field path in JS notation: `services.redis.ports[0]`; `` for the whole file. */
  path: string;
  /** What is wrong, for a person. */
  message: string;
  /** What would be valid / how to fix it. */
  hint?: string;
  /** 1-based position in the file, when known (JSON syntax errors). */
  line?: number;
  column?: number;
}

export interface LoadedPipeline {
  file: string;
  /** The JSON as read from disk (never mutated). */
  raw: Record<string, unknown>;
  /** Migrated to CURRENT_PIPELINE_VERSION in memory; undefined when the file could not be parsed. */
  spec?: PipelineSpec;
  /** The version the file declared (or '1.0.0' when it declared none). */
  sourceVersion: string;
  /** True when migration changed anything. */
  migrated: boolean;
  diagnostics: Diagnostic[];
}
