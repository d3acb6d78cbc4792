/**
 * Berth's own records: the installation id, registered projects, project/pipeline env vars
 * (secrets: they live here, never in the project directory), sessions and their services.
 */
import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Db, MigrationSet } from './db.ts';
import { rowMapper } from './rows.ts';
import { SEALED_PREFIX, type SecretBox } from './secret-box.ts';

export const coreMigrations: MigrationSet = {
  feature: 'core',
  steps: [
    `CREATE TABLE installation (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE projects (
       uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, path TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
     CREATE TABLE env_vars (
       project_uuid TEXT NOT NULL REFERENCES projects(uuid) ON DELETE CASCADE,
       pipeline_uuid TEXT NOT NULL DEFAULT '', name TEXT NOT NULL, value TEXT NOT NULL,
       PRIMARY KEY (project_uuid, pipeline_uuid, name));
     CREATE TABLE sessions (
       uuid TEXT PRIMARY KEY, project_uuid TEXT NOT NULL, pipeline_uuid TEXT NOT NULL, pipeline_path TEXT NOT NULL,
       type TEXT NOT NULL, runtime TEXT NOT NULL, desired TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
       plan_json TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
     CREATE TABLE session_services (
       session_uuid TEXT NOT NULL REFERENCES sessions(uuid) ON DELETE CASCADE, name TEXT NOT NULL,
       status TEXT NOT NULL, reason TEXT, details_json TEXT, spec_hash TEXT NOT NULL, runtime_id TEXT,
       endpoints_json TEXT, attempt INTEGER NOT NULL DEFAULT 0, started_at TEXT, ready_at TEXT, updated_at TEXT NOT NULL,
       PRIMARY KEY (session_uuid, name));`,
    // Counts the writes of a session's plan: reads compare it with the plan they hold instead of
    // copying (and decrypting) a plan of megabytes from the table on every status read.
    `ALTER TABLE sessions ADD COLUMN plan_rev INTEGER NOT NULL DEFAULT 0;`,
    // A plan in the session's row made every status write rewrite it: SQLite writes a row whole, and a
    // 1,000-service plan is 1.7 MB (45 ms of the event loop per status change). Plans have their own row.
    `CREATE TABLE session_plans (
       session_uuid TEXT PRIMARY KEY REFERENCES sessions(uuid) ON DELETE CASCADE, plan_json TEXT NOT NULL);
     INSERT INTO session_plans (session_uuid, plan_json) SELECT uuid, plan_json FROM sessions;
     ALTER TABLE sessions DROP COLUMN plan_json;`,
  ],
};

export interface ProjectRecord {
  uuid: string;
  name: string;
  path: string;
  createdAt: string;
}

export type SessionStatus = 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';
export type ServiceStatus = 'pending' | 'starting' | 'ready' | 'failed' | 'exited' | 'stopped';

export interface SessionRecord {
  uuid: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  type: 'interactive' | 'noninteractive';
  runtime: string;
  desired: 'running' | 'stopped';
  status: SessionStatus;
  reason: string | null;
  planJson: string;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceRecord {
  sessionUuid: string;
  name: string;
  status: ServiceStatus;
  reason: string | null;
  details: unknown;
  specHash: string;
  runtimeId: string | null;
  endpoints: Record<string, { host: string; port: number }> | null;
  attempt: number;
  startedAt: string | null;
  readyAt: string | null;
  updatedAt: string;
}

const now = () => new Date().toISOString();

/**
 * How a plan is stored: deflated. A plan repeats itself (every service carries the session's ids in
 * its env and labels): 1,000 services are 1.3 MB of JSON and 70 KB deflated. Sealing and writing
 * the JSON held the event loop 40-60 ms; deflating it takes 3-7 ms and leaves little to seal and
 * write. Plans stored before as JSON (sealed or not) read as they are.
 */
const PACKED_PREFIX = 'berth-z:v1:';

function packPlan(json: string): string {
  return `${PACKED_PREFIX}${deflateRawSync(json, { level: 3 }).toString('base64')}`;
}

function unpackPlan(stored: string): string {
  return stored.startsWith(PACKED_PREFIX) ? inflateRawSync(Buffer.from(stored.slice(PACKED_PREFIX.length), 'base64')).toString('utf8') : stored;
}

function planContext(sessionUuid: string): string {
  return `sessions/${sessionUuid}/plan`;
}

/** What a sealed env value is bound to: the same value under another row does not open. */
function envContext(projectUuid: string, pipelineUuid: string, name: string): string {
  return `env_vars/${projectUuid}/${pipelineUuid}/${name}`;
}

/** Typed access to the core tables. Synchronous: better-sqlite3 calls take microseconds. */
export class CoreStore {
  /** @param secrets seals env var values at rest (secret-box.ts); without it they are stored as given (tests). */
  constructor(
    readonly db: Db,
    private readonly secrets?: SecretBox,
  ) {}

  installationId(): string {
    const row = this.db.prepare(`SELECT value FROM installation WHERE key = 'id'`).get() as { value: string } | undefined;
    if (row) return row.value;
    const id = randomUUID().slice(0, 8);
    this.db.prepare(`INSERT INTO installation (key, value) VALUES ('id', ?)`).run(id);
    return id;
  }

  // --- projects ---------------------------------------------------------------------------------
  addProject(project: { uuid?: string; name: string; path: string }): ProjectRecord {
    const record = { uuid: project.uuid ?? randomUUID(), name: project.name, path: project.path, createdAt: now() };
    this.db
      .prepare('INSERT INTO projects (uuid, name, path, created_at) VALUES (?, ?, ?, ?)')
      .run(record.uuid, record.name, record.path, record.createdAt);
    return record;
  }

  listProjects(): ProjectRecord[] {
    return (this.db.prepare('SELECT * FROM projects ORDER BY name').all() as unknown[]).map(projectFromRow);
  }

  /** By uuid, name or path. */
  findProject(ref: string): ProjectRecord | undefined {
    const row = this.db.prepare('SELECT * FROM projects WHERE uuid = ? OR name = ? OR path = ?').get(ref, ref, ref);
    return row === undefined ? undefined : projectFromRow(row);
  }

  removeProject(uuid: string): void {
    // Its sessions and their services go with it (ON DELETE CASCADE), and with them what is kept of them.
    for (const { uuid: session } of this.db.prepare('SELECT uuid FROM sessions WHERE project_uuid = ?').all(uuid) as { uuid: string }[]) {
      this.#plans.delete(session);
      this.#services.delete(session);
    }
    this.db.prepare('DELETE FROM projects WHERE uuid = ?').run(uuid);
  }

  // --- env vars ---------------------------------------------------------------------------------
  setEnvVar(projectUuid: string, pipelineUuid: string, name: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO env_vars (project_uuid, pipeline_uuid, name, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (project_uuid, pipeline_uuid, name) DO UPDATE SET value = excluded.value`,
      )
      .run(projectUuid, pipelineUuid, name, this.secrets ? this.secrets.seal(value, envContext(projectUuid, pipelineUuid, name)) : value);
  }

  unsetEnvVar(projectUuid: string, pipelineUuid: string, name: string): boolean {
    return this.db
      .prepare('DELETE FROM env_vars WHERE project_uuid = ? AND pipeline_uuid = ? AND name = ?')
      .run(projectUuid, pipelineUuid, name).changes > 0;
  }

  /** pipelineUuid '' = project-level vars. */
  envVars(projectUuid: string, pipelineUuid: string): Record<string, string> {
    const rows = this.db
      .prepare('SELECT name, value FROM env_vars WHERE project_uuid = ? AND pipeline_uuid = ? ORDER BY name')
      .all(projectUuid, pipelineUuid) as { name: string; value: string }[];
    const open = (r: { name: string; value: string }): string => this.secrets?.open(r.value, envContext(projectUuid, pipelineUuid, r.name)) ?? r.value;
    return Object.fromEntries(rows.map((r) => [r.name, open(r)]));
  }

  /**
   * Seals the values stored in plain text (before encryption existed), in one transaction; returns how
   * many. The old plain pages stay in the WAL until the checkpoint that follows overwrites them.
   */
  sealPlaintextSecrets(): number {
    const box = this.secrets;
    if (!box) return 0;
    const rows = this.db.prepare('SELECT project_uuid AS p, pipeline_uuid AS q, name, value FROM env_vars').all() as { p: string; q: string; name: string; value: string }[];
    const plain = rows.filter((r) => !box.isSealed(r.value));
    const update = this.db.prepare('UPDATE env_vars SET value = ? WHERE project_uuid = ? AND pipeline_uuid = ? AND name = ?');
    // A session's plan holds the env its services started with, inherited secrets included.
    // Filtered in SQL: sealed plans (megabytes for large pipelines) are not copied out at every start.
    const plans = (
      this.db
        .prepare('SELECT session_uuid AS uuid, plan_json AS plan FROM session_plans WHERE substr(plan_json, 1, ?) != ?')
        .all(SEALED_PREFIX.length, SEALED_PREFIX) as { uuid: string; plan: string }[]
    ).filter((r) => !box.isSealed(r.plan));
    this.db.transaction(() => {
      for (const r of plain) update.run(box.seal(r.value, envContext(r.p, r.q, r.name)), r.p, r.q, r.name);
      for (const r of plans) this.#writePlan(r.uuid, unpackPlan(r.plan));
    })();
    const count = plain.length + plans.length;
    if (count > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return count;
  }

  /** Stores a session's plan (sealed when secrets are) as its next revision; its session row exists. */
  #writePlan(uuid: string, planJson: string): void {
    const packed = packPlan(planJson);
    const sealed = this.secrets ? this.secrets.seal(packed, planContext(uuid)) : packed;
    this.db
      .prepare('INSERT INTO session_plans (session_uuid, plan_json) VALUES (?, ?) ON CONFLICT (session_uuid) DO UPDATE SET plan_json = excluded.plan_json')
      .run(uuid, sealed);
    const { rev } = this.db.prepare('UPDATE sessions SET plan_rev = plan_rev + 1 WHERE uuid = ? RETURNING plan_rev AS rev').get(uuid) as { rev: number };
    // What was written is what the next read would open: it is not read back (and the same string
    // lets the session layer's plan cache see at once that the plan is the one it holds).
    this.#plans.set(uuid, { rev, plan: planJson });
  }

  /**
   * Sessions are read on every service event and by the exit watcher each second, and the plan of a
   * large pipeline is megabytes to copy out of the table and decrypt: each plan revision is read and
   * opened once (plan_rev counts the plan's writes).
   */
  readonly #plans = new Map<string, { rev: number; plan: string }>();

  #withPlan(row: SessionRow): SessionRecord {
    const { planRev, ...record } = sessionFromRow(row);
    let cached = this.#plans.get(record.uuid);
    if (cached?.rev !== planRev) {
      const { sealed } = this.db.prepare('SELECT plan_json AS sealed FROM session_plans WHERE session_uuid = ?').get(record.uuid) as { sealed: string };
      cached = { rev: planRev, plan: unpackPlan(this.secrets ? this.secrets.open(sealed, planContext(record.uuid)) : sealed) };
      this.#plans.set(record.uuid, cached);
    }
    return { ...record, planJson: cached.plan };
  }

  /** Orchest's get_proj_pip_env_variables: {...project, ...pipeline}, the pipeline wins. */
  mergedEnvVars(projectUuid: string, pipelineUuid: string): Record<string, string> {
    return { ...this.envVars(projectUuid, ''), ...this.envVars(projectUuid, pipelineUuid) };
  }

  /**
   * Runs `work` as one transaction: all of its writes or none, and one commit for all of them (a
   * 1,000-service start writes a record per service).
   */
  atomically<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // --- sessions ---------------------------------------------------------------------------------
  upsertSession({ planJson, ...session }: Omit<SessionRecord, 'createdAt' | 'updatedAt'>): void {
    const t = now();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (uuid, project_uuid, pipeline_uuid, pipeline_path, type, runtime, desired, status, reason, created_at, updated_at)
           VALUES (@uuid, @projectUuid, @pipelineUuid, @pipelinePath, @type, @runtime, @desired, @status, @reason, @t, @t)
           ON CONFLICT (uuid) DO UPDATE SET pipeline_path = excluded.pipeline_path, runtime = excluded.runtime,
             desired = excluded.desired, status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
        )
        .run({ ...session, t });
      this.#writePlan(session.uuid, planJson);
    })();
  }

  updateSession(uuid: string, { planJson, ...fields }: Partial<Pick<SessionRecord, 'desired' | 'status' | 'reason' | 'planJson'>>): void {
    const sets: string[] = [];
    const values: Record<string, unknown> = { uuid, updatedAt: now() };
    for (const [key, value] of Object.entries(fields)) {
      sets.push(`${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} = @${key}`);
      values[key] = value;
    }
    this.db.transaction(() => {
      this.db.prepare(`UPDATE sessions SET ${[...sets, 'updated_at = @updatedAt'].join(', ')} WHERE uuid = @uuid`).run(values);
      if (planJson !== undefined) this.#writePlan(uuid, planJson);
    })();
  }

  getSession(uuid: string): SessionRecord | undefined {
    const row = this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE uuid = ?`).get(uuid) as SessionRow | undefined;
    return row === undefined ? undefined : this.#withPlan(row);
  }

  listSessions(filter: { projectUuid?: string; activeOnly?: boolean } = {}): SessionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE (@projectUuid IS NULL OR project_uuid = @projectUuid)
         AND (@activeOnly = 0 OR status != 'stopped') ORDER BY created_at`,
      )
      .all({ projectUuid: filter.projectUuid ?? null, activeOnly: filter.activeOnly ? 1 : 0 }) as SessionRow[];
    return rows.map((row) => this.#withPlan(row));
  }

  deleteSession(uuid: string): void {
    this.#plans.delete(uuid);
    this.#services.delete(uuid);
    this.db.prepare('DELETE FROM sessions WHERE uuid = ?').run(uuid);
  }

  // --- services of a session -------------------------------------------------------------------
  /**
   * Service records by session, as last written or read. A 1,000-service session's records are read
   * on every poll of its view and by the exit watcher each second; turning 1,000 rows into records
   * each time (JSON columns parsed) was a tenth of the event loop's work during a start. This store
   * is the only writer of the table (one Berth per data directory, under the instance lock), so
   * what it wrote is what the table holds. Records are shared: callers read them, never change them.
   */
  readonly #services = new Map<string, Map<string, ServiceRecord>>();

  #servicesOf(sessionUuid: string): Map<string, ServiceRecord> {
    let services = this.#services.get(sessionUuid);
    if (!services) {
      const rows = this.db.prepare('SELECT * FROM session_services WHERE session_uuid = ? ORDER BY rowid').all(sessionUuid) as unknown[];
      services = new Map(rows.map((row) => serviceFromRow(row)).map((record) => [record.name, record]));
      this.#services.set(sessionUuid, services);
    }
    return services;
  }

  upsertService(service: Omit<ServiceRecord, 'updatedAt'>): void {
    const details = service.details === undefined || service.details === null ? null : JSON.stringify(service.details);
    const endpoints = service.endpoints ? JSON.stringify(service.endpoints) : null;
    const updatedAt = now();
    this.db
      .prepare(
        `INSERT INTO session_services (session_uuid, name, status, reason, details_json, spec_hash, runtime_id, endpoints_json, attempt, started_at, ready_at, updated_at)
         VALUES (@sessionUuid, @name, @status, @reason, @details, @specHash, @runtimeId, @endpoints, @attempt, @startedAt, @readyAt, @updatedAt)
         ON CONFLICT (session_uuid, name) DO UPDATE SET status = excluded.status, reason = excluded.reason,
           details_json = excluded.details_json, spec_hash = excluded.spec_hash, runtime_id = excluded.runtime_id,
           endpoints_json = excluded.endpoints_json, attempt = excluded.attempt, started_at = excluded.started_at,
           ready_at = excluded.ready_at, updated_at = excluded.updated_at`,
      )
      .run({ ...service, details, endpoints, updatedAt });
    // What a read of the row gives back: the JSON columns parsed anew, so no caller's object is kept.
    this.#services.get(service.sessionUuid)?.set(service.name, {
      sessionUuid: service.sessionUuid,
      name: service.name,
      status: service.status,
      reason: service.reason,
      details: details === null ? null : (JSON.parse(details) as unknown),
      specHash: service.specHash,
      runtimeId: service.runtimeId,
      endpoints: endpoints === null ? null : (JSON.parse(endpoints) as ServiceRecord['endpoints']),
      attempt: service.attempt,
      startedAt: service.startedAt,
      readyAt: service.readyAt,
      updatedAt,
    });
  }

  getService(sessionUuid: string, name: string): ServiceRecord | undefined {
    return this.#servicesOf(sessionUuid).get(name);
  }

  listServices(sessionUuid: string): ServiceRecord[] {
    return [...this.#servicesOf(sessionUuid).values()];
  }

  /** Every service record of the session, in one statement. */
  deleteServices(sessionUuid: string): void {
    this.db.prepare('DELETE FROM session_services WHERE session_uuid = ?').run(sessionUuid);
    this.#services.delete(sessionUuid);
  }

  deleteService(sessionUuid: string, name: string): void {
    this.db.prepare('DELETE FROM session_services WHERE session_uuid = ? AND name = ?').run(sessionUuid, name);
    this.#services.get(sessionUuid)?.delete(name);
  }
}

const projectFromRow = rowMapper<ProjectRecord>();
/** Every column but the plan, which #withPlan reads only when its revision changed. */
const SESSION_COLUMNS = 'uuid, project_uuid, pipeline_uuid, pipeline_path, type, runtime, desired, status, reason, plan_rev, created_at, updated_at';
type SessionRow = { readonly [column: string]: unknown };
const sessionFromRow = rowMapper<Omit<SessionRecord, 'planJson'> & { planRev: number }>();
const serviceFromRow = rowMapper<ServiceRecord>(['details_json', 'endpoints_json']);
