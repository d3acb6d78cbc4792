/** depends_on (Berth extension): start order between services of one session. */
import { PlanError } from './errors.ts';
import type { ServicePlan, SessionContext } from './types.ts';

export function dependencyWarning(ctx: SessionContext, name: string, dependency: string): string {
  return (
    `services.${name}.depends_on: ${dependency} does not run in ${ctx.sessionType} sessions ` +
    `(no such service, or its scope leaves it out), so ${name} starts without waiting for it`
  );
}

/** A cycle would leave every service in it waiting forever. */
export function assertNoDependencyCycle(services: ServicePlan[], pipelinePath: string): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new PlanError('BERTH_PLAN_DEPENDENCY_CYCLE', { pipelinePath, service: name, cycle }, {
        details: { path: `services.${name}.depends_on`, cycle },
      });
    }
    state.set(name, 'visiting');
    for (const dependency of byName.get(name)?.dependsOn ?? []) visit(dependency, [...trail, name]);
    state.set(name, 'done');
  };
  for (const service of services) visit(service.name, []);
}
