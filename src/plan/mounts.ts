/** Mounts from binds (orchest-compatibility.md: Mounts and permissions): the only sources are the project directory and the shared data directory. */
import { type BindSource, type ServiceSpec, BIND_SOURCES } from '../spec/index.ts';
import { PlanError } from './errors.ts';
import type { MountPlan, SessionContext } from './types.ts';

export function planMounts(spec: ServiceSpec, ctx: SessionContext, where: string): MountPlan[] {
  const binds = spec.binds ?? {};
  for (const key of Object.keys(binds)) {
    if (!BIND_SOURCES.includes(key as BindSource)) {
      throw new PlanError('BERTH_PLAN_BIND_UNKNOWN', { where, source: key, sources: BIND_SOURCES }, {
        details: { path: `services.${spec.name}.binds` },
      });
    }
  }
  // Fixed order (/data, then /project-dir) so the plan does not depend on key order in the file.
  return BIND_SOURCES.flatMap((source): MountPlan[] => {
    const target = binds[source];
    if (!target) return [];
    return [source === '/data' ? { source: 'data', hostPath: ctx.dataDir, target } : { source: 'project', hostPath: ctx.projectDir, target }];
  });
}
