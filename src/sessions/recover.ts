/**
 * Recovery after Berth restarts: every active session goes through the controller (adopt what
 * still runs as planned, restart the rest, finish interrupted stops), then what no session wants is
 * removed. No decision is made here beyond "which sessions are wanted".
 */
import { LABELS } from '../plan/index.ts';
import type { RuntimeObject } from '../runtime/index.ts';
import { isWanted, type Deps } from './context.ts';
import type { Controller, RecoveryCounts } from './controller.ts';

export async function recoverSessions(deps: Deps, controller: Controller): Promise<RecoveryCounts & { wanted: number }> {
  const counts: RecoveryCounts = { adopted: 0, restarted: 0, removed: 0 };
  const { runtime, store, lock } = deps;
  const active = store.listSessions({ activeOnly: true });
  const wanted = new Set(active.filter(isWanted).map((s) => s.uuid));
  // Each session on its own: one whose runtime calls hang or fail does not hold up the others.
  await Promise.all(
    active.map((session) =>
      lock.run(session.uuid, () => controller.reconcile(session.uuid, 'recovery', counts)).catch((error: unknown) => deps.records.fail(session.uuid, error)),
    ),
  );
  const orphans = (await runtime.list({ [LABELS.installation]: deps.installationId })).filter((o) => !wanted.has(o.labels[LABELS.session] ?? ''));
  // What a session holds without any instance (local: a namespace holder) is found by session, not by instance.
  const held = ((await runtime.heldSessions?.()) ?? []).filter((sessionUuid) => !wanted.has(sessionUuid));
  for (const sessionUuid of new Set([...orphans.map((o) => o.ref.sessionUuid), ...held])) {
    const objects = orphans.filter((o) => o.ref.sessionUuid === sessionUuid);
    await lock.run(sessionUuid, () => removeOrphan(deps, sessionUuid, objects, counts));
  }
  return { ...counts, wanted: wanted.size };
}

/**
 * Removes what the runtime has of a session nobody wanted when recovery began (under the session's
 * lock). The server listens before it recovers, so a user may have started the session since: the
 * store decides again, and a session wanted now keeps its instances and holder.
 */
async function removeOrphan(deps: Deps, sessionUuid: string, objects: RuntimeObject[], counts: RecoveryCounts): Promise<void> {
  if (isWanted(deps.store.getSession(sessionUuid))) return;
  for (const object of objects) {
    await deps.runtime.stop(object.ref, { graceMs: deps.graceMs });
    counts.removed += 1;
  }
  await deps.runtime.cleanupSession(sessionUuid);
}
