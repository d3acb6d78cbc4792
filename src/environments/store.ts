/**
 * Build records of environment images. The build number only increments per (project,
 * environment), like Orchest's image tag; the newest *successful* build is the current image, so a
 * failed build never replaces a working one.
 */
import type { BuildInfo, BuildStatus } from '../api/index.ts';
import { rowMapper, type Db, type MigrationSet } from '../store/index.ts';
import { EnvironmentError } from './errors.ts';

export const environmentMigrations: MigrationSet = {
  feature: 'environments',
  steps: [
    `CREATE TABLE environment_builds (
      project_uuid TEXT NOT NULL,
      environment_uuid TEXT NOT NULL,
      number INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('building', 'succeeded', 'failed', 'cancelled')),
      image TEXT NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      log TEXT NOT NULL DEFAULT '',
      error TEXT,
      PRIMARY KEY (project_uuid, environment_uuid, number)
    )`,
  ],
};

export type { BuildStatus };
/** A build record is what the API answers for a build (src/api/types.ts). */
export type EnvironmentBuild = BuildInfo;


/** `berth-env-<project>-<environment>:<n>` (Orchest: `orchest-env-<project>-<environment>:<n>`). */
export function environmentImageName(projectUuid: string, environmentUuid: string, number: number): string {
  return `berth-env-${projectUuid}-${environmentUuid}:${number}`;
}

export interface EnvironmentBuildStore {
  /** Reserves the next build number and records it as `building`. */
  begin(projectUuid: string, environmentUuid: string): EnvironmentBuild;
  /** Records the outcome; a successful build may name the image it produced (a pushed digest). */
  finish(build: EnvironmentBuild, outcome: { status: Exclude<BuildStatus, 'building'>; log: string; error?: string; image?: string }): EnvironmentBuild;
  list(projectUuid: string, environmentUuid?: string): EnvironmentBuild[];
  get(projectUuid: string, environmentUuid: string, number: number): EnvironmentBuild | undefined;
  /** The newest successful build, the one services use. */
  current(projectUuid: string, environmentUuid: string): EnvironmentBuild | undefined;
  /** Marks builds left `building` by a crashed Berth as failed; returns how many. */
  failInterrupted(): number;
}

export function environmentBuildStore(db: Db): EnvironmentBuildStore {
  const nextNumber = db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM environment_builds WHERE project_uuid = ? AND environment_uuid = ?');
  const insert = db.prepare(
    `INSERT INTO environment_builds (project_uuid, environment_uuid, number, status, image, started_at) VALUES (?, ?, ?, 'building', ?, ?)`,
  );
  const update = db.prepare(
    'UPDATE environment_builds SET status = ?, finished_at = ?, log = ?, error = ?, image = ? WHERE project_uuid = ? AND environment_uuid = ? AND number = ?',
  );
  const reserve = db.transaction((projectUuid: string, environmentUuid: string): EnvironmentBuild => {
    const { n } = nextNumber.get(projectUuid, environmentUuid) as { n: number };
    const build: EnvironmentBuild = {
      projectUuid,
      environmentUuid,
      number: n,
      status: 'building',
      image: environmentImageName(projectUuid, environmentUuid, n),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      log: '',
      error: null,
    };
    insert.run(projectUuid, environmentUuid, n, build.image, build.startedAt);
    return build;
  });
  return {
    begin: (projectUuid, environmentUuid) => reserve(projectUuid, environmentUuid),
    finish(build, { status, log, error, image = build.image }) {
      const finishedAt = new Date().toISOString();
      update.run(status, finishedAt, log, error ?? null, image, build.projectUuid, build.environmentUuid, build.number);
      return { ...build, status, finishedAt, log, error: error ?? null, image };
    },
    list(projectUuid, environmentUuid) {
      const rows = (
        environmentUuid === undefined
          ? db.prepare('SELECT * FROM environment_builds WHERE project_uuid = ? ORDER BY environment_uuid, number').all(projectUuid)
          : db.prepare('SELECT * FROM environment_builds WHERE project_uuid = ? AND environment_uuid = ? ORDER BY number').all(projectUuid, environmentUuid)
      ) as unknown[];
      return rows.map(fromRow);
    },
    get(projectUuid, environmentUuid, number) {
      const row = db
        .prepare('SELECT * FROM environment_builds WHERE project_uuid = ? AND environment_uuid = ? AND number = ?')
        .get(projectUuid, environmentUuid, number);
      return row === undefined ? undefined : fromRow(row);
    },
    current(projectUuid, environmentUuid) {
      const row = db
        .prepare(`SELECT * FROM environment_builds WHERE project_uuid = ? AND environment_uuid = ? AND status = 'succeeded' ORDER BY number DESC LIMIT 1`)
        .get(projectUuid, environmentUuid);
      return row === undefined ? undefined : fromRow(row);
    },
    failInterrupted() {
      return db
        .prepare(`UPDATE environment_builds SET status = 'failed', finished_at = ?, error = 'interrupted: Berth stopped during the build' WHERE status = 'building'`)
        .run(new Date().toISOString()).changes;
    },
  };
}

/**
 * The image a service using `environment@<uuid>` runs: the newest successful build. Pinned by the
 * caller at session start, so a later rebuild does not change running sessions.
 */
export function resolveEnvironmentImage(db: Db, projectUuid: string, environmentUuid: string): string {
  const build = environmentBuildStore(db).current(projectUuid, environmentUuid);
  if (build) return build.image;
  throw new EnvironmentError('BERTH_ENV_NOT_BUILT', { projectUuid, environmentUuid }, { details: { projectUuid, environmentUuid } });
}

const fromRow = rowMapper<EnvironmentBuild>();
