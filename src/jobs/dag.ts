/**
 * The step DAG from `incoming_connections`: a topological order (for listing and for the
 * executor), and a bounded-parallel walk where a failed step skips everything downstream of it.
 */
import type { PipelineSpec, StepSpec } from '../spec/index.ts';
import { JobError } from './errors.ts';
import type { StepStatus } from './store.ts';

export interface DagStep {
  uuid: string;
  title: string;
  /** Incoming connections restricted to the steps being run. */
  dependsOn: string[];
}

/**
 * Steps in a topological order (ties keep the file's order). `only` restricts the run to those
 * steps (uuids or titles); connections to steps outside the selection are ignored, as in
 * Orchest's "run selected steps".
 */
export function orderSteps(spec: PipelineSpec, only?: string[]): { steps: StepSpec[]; dag: DagStep[] } {
  const all = Object.values(spec.steps);
  let selected = all;
  if (only && only.length > 0) {
    selected = only.map((ref) => {
      const matches = all.filter((s) => s.uuid === ref || s.title === ref);
      const steps = all.map((s) => `${s.title} (${s.uuid})`);
      if (matches.length === 0) throw new JobError('BERTH_JOB_STEP_NOT_FOUND', { step: ref, pipeline: spec.name, steps });
      if (matches.length > 1) throw new JobError('BERTH_JOB_STEP_REF_INVALID', { step: ref, count: matches.length, pipeline: spec.name, steps });
      return matches[0]!;
    });
    selected = [...new Set(selected)];
  }
  const ids = new Set(selected.map((s) => s.uuid));
  for (const step of selected) {
    for (const from of step.incoming_connections) {
      if (!spec.steps[from]) {
        throw new JobError('BERTH_JOB_DAG_INVALID', { step: step.title, stepUuid: step.uuid, from });
      }
    }
  }
  const ordered: StepSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (step: StepSpec, path: string[]): void => {
    const seen = state.get(step.uuid);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new JobError('BERTH_JOB_DAG_INVALID', { cycle: [...path, step.title] });
    }
    state.set(step.uuid, 'visiting');
    for (const from of step.incoming_connections) if (ids.has(from)) visit(spec.steps[from]!, [...path, step.title]);
    state.set(step.uuid, 'done');
    ordered.push(step);
  };
  for (const step of selected) visit(step, []);
  const dag = ordered.map((s) => ({ uuid: s.uuid, title: s.title, dependsOn: s.incoming_connections.filter((from) => ids.has(from)) }));
  return { steps: ordered, dag };
}

export interface StepOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  exitCode: number | null;
  reason?: string;
}

export interface WalkOptions {
  concurrency: number;
  signal: AbortSignal;
  execute: (step: DagStep, signal: AbortSignal) => Promise<StepOutcome>;
  onStatus: (step: DagStep, status: StepStatus, details?: { reason?: string }) => void;
}

/**
 * Runs the DAG: a step starts when all its dependencies succeeded, at most `concurrency` at once.
 * A failed step marks its descendants skipped; an abort cancels running steps and skips the rest.
 * Resolves with every step's final status.
 */
export async function walkDag(dag: DagStep[], options: WalkOptions): Promise<Map<string, StepStatus>> {
  const status = new Map<string, StepStatus>(dag.map((s) => [s.uuid, 'pending']));
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, options.concurrency);
  const set = (step: DagStep, next: StepStatus, reason?: string) => {
    status.set(step.uuid, next);
    options.onStatus(step, next, reason === undefined ? undefined : { reason });
  };
  const skipDescendants = (failed: DagStep) => {
    for (const step of dag) {
      if (status.get(step.uuid) === 'pending' && dependsTransitively(dag, step, failed.uuid)) {
        set(step, 'skipped', `not run: it depends on "${failed.title}", which did not succeed`);
      }
    }
  };
  for (;;) {
    if (options.signal.aborted) {
      for (const step of dag) if (status.get(step.uuid) === 'pending') set(step, 'skipped', 'not run: the run was cancelled');
    } else {
      for (const step of dag) {
        if (running.size >= limit) break;
        if (status.get(step.uuid) !== 'pending') continue;
        if (!step.dependsOn.every((d) => status.get(d) === 'succeeded')) continue;
        set(step, 'running');
        const task = options
          .execute(step, options.signal)
          .catch((error: unknown): StepOutcome => ({ status: 'failed', exitCode: null, reason: error instanceof Error ? error.message : String(error) }))
          .then((outcome) => {
            running.delete(step.uuid);
            set(step, outcome.status, outcome.reason);
            if (outcome.status !== 'succeeded') skipDescendants(step);
          });
        running.set(step.uuid, task);
      }
    }
    if (running.size === 0) break;
    await Promise.race([...running.values(), abortPromise(options.signal)]);
  }
  // Steps whose dependencies can never succeed (e.g. cancelled) are skipped, never left pending.
  for (const step of dag) if (status.get(step.uuid) === 'pending') set(step, 'skipped', 'not run: a step it depends on did not succeed');
  return status;
}

function dependsTransitively(dag: DagStep[], step: DagStep, ancestor: string, seen = new Set<string>()): boolean {
  if (step.dependsOn.includes(ancestor)) return true;
  for (const dep of step.dependsOn) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    const parent = dag.find((s) => s.uuid === dep);
    if (parent && dependsTransitively(dag, parent, ancestor, seen)) return true;
  }
  return false;
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return new Promise(() => undefined);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
