/** Session uuids (orchest-compatibility.md: Session start and uuids; Job runs): deterministic for interactive sessions, the run uuid for job runs. */
import { createHash } from 'node:crypto';
import type { SessionContext } from './types.ts';
import { PlanError } from './errors.ts';

/** Orchest's uuids are lowercase; anything else would make host names that DNS and Kubernetes reject. */
const SESSION_UUID = /^[0-9a-z][0-9a-z-]{0,35}$/;

export type SessionUuidInput = Pick<SessionContext, 'sessionType' | 'projectUuid' | 'pipelineUuid' | 'runUuid'>;

/**
 * Interactive: `project_uuid[:18] + pipeline_uuid[:18]` (one session per project and pipeline, so a
 * restarted session keeps its host names and URLs). Noninteractive: the job run's uuid.
 */
export function sessionUuidFor(ctx: SessionUuidInput): string {
  let sessionUuid: string;
  if (ctx.sessionType === 'noninteractive') {
    if (!ctx.runUuid) {
      throw new PlanError('BERTH_PLAN_RUN_UUID_MISSING');
    }
    sessionUuid = ctx.runUuid;
  } else {
    sessionUuid = ctx.projectUuid.slice(0, 18) + ctx.pipelineUuid.slice(0, 18);
  }
  if (!SESSION_UUID.test(sessionUuid)) {
    const from = ctx.sessionType === 'noninteractive' ? { runUuid: sessionUuid } : { projectUuid: ctx.projectUuid, pipelineUuid: ctx.pipelineUuid };
    throw new PlanError('BERTH_PLAN_SESSION_UUID_INVALID', { sessionUuid, ...from });
  }
  return sessionUuid;
}

/**
 * A name-based UUID (RFC 4122 version 5: SHA-1 of namespace + name). Deterministic, so the same
 * directory always gets the same project uuid without any stored state.
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new PlanError('BERTH_PLAN_NAMESPACE_INVALID', { namespace });
  const digest = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 4122's URL namespace: `uuid.uuid5(uuid.NAMESPACE_URL, "file://" + path)` in Python gives the same value. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * The project uuid Berth uses for a directory it has not registered (offline `berth plan`): the
 * version-5 uuid of the URL `file://<real path>`. Callers resolve symlinks first so that two paths
 * to one directory give one uuid.
 */
export function projectUuidForPath(realPath: string): string {
  return nameBasedUuid(URL_NAMESPACE, `file://${realPath}`);
}
