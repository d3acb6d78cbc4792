/**
 * The tables of jobs: a job is an immutable snapshot (pipeline spec, env vars, parameters), a run
 * is one execution of it (or of selected steps of a live pipeline, for interactive runs), and
 * run_steps hold one row per step of a run. Env values are secrets: they stay in this database.
 */
import { randomUUID } from 'node:crypto';
import { rowMapper, type Db, type MigrationSet, type SecretBox } from '../store/index.ts';
import type { PipelineSpec } from '../spec/index.ts';
import type { JobParameters, RunInfo, RunStatus, RunStepInfo, StepStatus } from '../api/index.ts';

// The API's shapes (src/api/types.ts) are the source; a record adds what only storage keeps.
export type { JobParameters, RunStatus, StepStatus };

export const jobMigrations: MigrationSet = {
  feature: 'jobs',
  steps: [
    `CREATE TABLE jobs (
       uuid TEXT PRIMARY KEY, name TEXT NOT NULL, project_uuid TEXT NOT NULL, pipeline_uuid TEXT NOT NULL,
       pipeline_path TEXT NOT NULL, spec_json TEXT NOT NULL, env_json TEXT NOT NULL, parameters_json TEXT NOT NULL,
       created_at TEXT NOT NULL);
     CREATE TABLE job_runs (
       uuid TEXT PRIMARY KEY, job_uuid TEXT REFERENCES jobs(uuid) ON DELETE CASCADE, type TEXT NOT NULL,
       project_uuid TEXT NOT NULL, pipeline_uuid TEXT NOT NULL, pipeline_path TEXT NOT NULL, session_uuid TEXT NOT NULL,
       status TEXT NOT NULL, reason TEXT, run_dir TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT,
       finished_at TEXT, updated_at TEXT NOT NULL);
     CREATE TABLE job_run_steps (
       run_uuid TEXT NOT NULL REFERENCES job_runs(uuid) ON DELETE CASCADE, step_uuid TEXT NOT NULL, title TEXT NOT NULL,
       file_path TEXT NOT NULL, position INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, exit_code INTEGER,
       started_at TEXT, finished_at TEXT, duration_ms INTEGER, log_file TEXT NOT NULL,
       PRIMARY KEY (run_uuid, step_uuid));`,
    // When each service of the run's session started and passed its check (the steps' go-ahead).
    `ALTER TABLE job_runs ADD COLUMN services_ready_json TEXT;`,
  ],
};

/** One service of a run's session as it was when the steps were allowed to start. */
export interface RunServiceRecord {
  name: string;
  /** The service instance's own start. */
  startedAt: string | null;
  /** When its readiness check first passed. */
  readyAt: string | null;
}


export interface JobRecord {
  uuid: string;
  name: string;
  projectUuid: string;
  pipelineUuid: string;
  pipelinePath: string;
  /** The pipeline as it was when the job was created (migrated, before parameters). */
  spec: PipelineSpec;
  /** Secrets: never in API listings unless asked for. */
  env: Record<string, string>;
  parameters: JobParameters;
  createdAt: string;
}

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** A run as stored: the API's run without what views add (job name, steps, services), plus bookkeeping. */
export interface RunRecord extends Omit<RunInfo, 'jobName' | 'steps' | 'services' | 'sessionStatus'> {
  updatedAt: string;
  /** The session's services when the steps were allowed to start; null until then. */
  servicesReady: RunServiceRecord[] | null;
}

export interface RunStepRecord extends RunStepInfo {
  runUuid: string;
}

const now = () => new Date().toISOString();

export class JobStore {
  /** @param secrets seals a job's env (project/pipeline secrets and the job's own) at rest; see src/store/secret-box.ts. */
  constructor(
    readonly db: Db,
    private readonly secrets?: SecretBox,
  ) {}

  /** Seals job env stored in plain text by an older Berth; returns how many jobs. */
  sealPlaintextEnv(): number {
    const box = this.secrets;
    if (!box) return 0;
    const rows = (this.db.prepare('SELECT uuid, env_json AS env FROM jobs').all() as { uuid: string; env: string }[]).filter((r) => !box.isSealed(r.env));
    const update = this.db.prepare('UPDATE jobs SET env_json = ? WHERE uuid = ?');
    this.db.transaction(() => {
      for (const r of rows) update.run(box.seal(r.env, jobEnvContext(r.uuid)), r.uuid);
    })();
    if (rows.length > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return rows.length;
  }

  #job(row: unknown): JobRecord {
    const box = this.secrets;
    if (!box) return jobFromRow(row);
    const raw = row as { uuid: string; env_json: string };
    return jobFromRow({ ...raw, env_json: box.open(raw.env_json, jobEnvContext(raw.uuid)) });
  }

  addJob(job: Omit<JobRecord, 'uuid' | 'createdAt'> & { uuid?: string }): JobRecord {
    const record: JobRecord = { ...job, uuid: job.uuid ?? randomUUID(), createdAt: now() };
    this.db
      .prepare(
        `INSERT INTO jobs (uuid, name, project_uuid, pipeline_uuid, pipeline_path, spec_json, env_json, parameters_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.uuid,
        record.name,
        record.projectUuid,
        record.pipelineUuid,
        record.pipelinePath,
        JSON.stringify(record.spec),
        this.secrets ? this.secrets.seal(JSON.stringify(record.env), jobEnvContext(record.uuid)) : JSON.stringify(record.env),
        JSON.stringify(record.parameters),
        record.createdAt,
      );
    return record;
  }

  getJob(uuid: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE uuid = ?').get(uuid);
    return row === undefined ? undefined : this.#job(row);
  }

  /** By uuid, unique uuid prefix (≥ 8 chars) or name. */
  findJob(ref: string): JobRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE uuid = @ref OR name = @ref OR (length(@ref) >= 8 AND uuid LIKE @ref || '%') ORDER BY created_at`)
      .all({ ref }) as unknown[];
    return rows.map((row) => this.#job(row));
  }

  listJobs(projectUuid?: string): JobRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM jobs WHERE (@p IS NULL OR project_uuid = @p) ORDER BY created_at')
      .all({ p: projectUuid ?? null }) as unknown[];
    return rows.map((row) => this.#job(row));
  }

  deleteJob(uuid: string): void {
    this.db.prepare('DELETE FROM jobs WHERE uuid = ?').run(uuid);
  }

  addRun(run: Omit<RunRecord, 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt' | 'reason' | 'servicesReady'>, steps: Omit<RunStepRecord, 'runUuid'>[]): RunRecord {
    const t = now();
    const record: RunRecord = { ...run, reason: null, createdAt: t, updatedAt: t, startedAt: null, finishedAt: null, servicesReady: null };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO job_runs (uuid, job_uuid, type, project_uuid, pipeline_uuid, pipeline_path, session_uuid, status, reason, run_dir, created_at, started_at, finished_at, updated_at)
           VALUES (@uuid, @jobUuid, @type, @projectUuid, @pipelineUuid, @pipelinePath, @sessionUuid, @status, @reason, @runDir, @createdAt, @startedAt, @finishedAt, @updatedAt)`,
        )
        .run(record);
      const insert = this.db.prepare(
        `INSERT INTO job_run_steps (run_uuid, step_uuid, title, file_path, position, status, reason, exit_code, started_at, finished_at, duration_ms, log_file)
         VALUES (@runUuid, @stepUuid, @title, @filePath, @position, @status, @reason, @exitCode, @startedAt, @finishedAt, @durationMs, @logFile)`,
      );
      for (const step of steps) insert.run({ ...step, runUuid: record.uuid });
    })();
    return record;
  }

  getRun(uuid: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM job_runs WHERE uuid = ?').get(uuid);
    return row === undefined ? undefined : runFromRow(row);
  }

  /** By uuid or unique uuid prefix (≥ 8 chars). */
  findRuns(ref: string): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM job_runs WHERE uuid = @ref OR (length(@ref) >= 8 AND uuid LIKE @ref || '%') ORDER BY created_at`)
      .all({ ref }) as unknown[];
    return rows.map(runFromRow);
  }

  listRuns(filter: { jobUuid?: string; projectUuid?: string; activeOnly?: boolean } = {}): RunRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM job_runs WHERE (@job IS NULL OR job_uuid = @job) AND (@project IS NULL OR project_uuid = @project)
         AND (@active = 0 OR status NOT IN ('succeeded', 'failed', 'cancelled')) ORDER BY created_at`,
      )
      .all({ job: filter.jobUuid ?? null, project: filter.projectUuid ?? null, active: filter.activeOnly ? 1 : 0 }) as unknown[];
    return rows.map(runFromRow);
  }

  updateRun(uuid: string, fields: Partial<Pick<RunRecord, 'status' | 'reason' | 'startedAt' | 'finishedAt'>>): void {
    const sets = Object.keys(fields).map((key) => `${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} = @${key}`);
    this.db.prepare(`UPDATE job_runs SET ${[...sets, 'updated_at = @updatedAt'].join(', ')} WHERE uuid = @uuid`).run({ ...fields, uuid, updatedAt: now() });
  }

  recordServicesReady(uuid: string, services: RunServiceRecord[]): void {
    this.db.prepare('UPDATE job_runs SET services_ready_json = @services, updated_at = @updatedAt WHERE uuid = @uuid').run({ uuid, services: JSON.stringify(services), updatedAt: now() });
  }

  listSteps(runUuid: string): RunStepRecord[] {
    const rows = this.db.prepare('SELECT * FROM job_run_steps WHERE run_uuid = ? ORDER BY position').all(runUuid) as unknown[];
    return rows.map(stepFromRow);
  }

  updateStep(runUuid: string, stepUuid: string, fields: Partial<Omit<RunStepRecord, 'runUuid' | 'stepUuid' | 'title' | 'filePath' | 'position' | 'logFile'>>): void {
    const keys = Object.keys(fields);
    if (keys.length === 0) return;
    const sets = keys.map((key) => `${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} = @${key}`);
    this.db.prepare(`UPDATE job_run_steps SET ${sets.join(', ')} WHERE run_uuid = @runUuid AND step_uuid = @stepUuid`).run({ ...fields, runUuid, stepUuid });
  }
}

const jobFromRow = rowMapper<JobRecord>(['spec_json', 'env_json', 'parameters_json']);

function jobEnvContext(jobUuid: string): string {
  return `jobs/${jobUuid}/env`;
}
const runFromRow = rowMapper<RunRecord>(['services_ready_json']);
const stepFromRow = rowMapper<RunStepRecord>();
