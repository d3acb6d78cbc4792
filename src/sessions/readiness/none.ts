import type { CheckResult, ReadinessCheck } from './types.ts';

/** Ready as soon as the service runs (Orchest's only notion of readiness). */
export class NoneCheck implements ReadinessCheck {
  readonly description = 'no check (ready once running)';

  async attempt(): Promise<CheckResult> {
    return { ready: true, detail: 'running' };
  }
}
