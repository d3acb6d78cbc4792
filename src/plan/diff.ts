/** What `apply` must do when a session's plan is replaced: by service name and specHash. */
import type { SessionPlan } from './types.ts';

export interface PlanDiff {
  /** In next only: start. */
  added: string[];
  /** In previous only: stop. */
  removed: string[];
  /** In both with a different specHash: restart. */
  changed: string[];
  /** In both with the same specHash: leave running. */
  unchanged: string[];
}

/** Each list follows the order of the plan it comes from (next, except `removed`). */
export function diffPlans(previous: SessionPlan, next: SessionPlan): PlanDiff {
  const before = new Map(previous.services.map((s) => [s.name, s.specHash]));
  const after = new Set(next.services.map((s) => s.name));
  const diff: PlanDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const service of next.services) {
    const hash = before.get(service.name);
    if (hash === undefined) diff.added.push(service.name);
    else if (hash === service.specHash) diff.unchanged.push(service.name);
    else diff.changed.push(service.name);
  }
  for (const service of previous.services) if (!after.has(service.name)) diff.removed.push(service.name);
  return diff;
}
