/**
 * One deadline per service: poll the service's readiness check every `intervalMs` until it passes,
 * the service exits, the runtime reports a fatal state, the deadline passes or the caller aborts.
 * Never waits forever (Orchest's sessions could hang in "starting" for good: issues #1098, #1197).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadinessPlan, ServicePlan } from '../../plan/index.ts';
import type { RuntimeState } from '../../runtime/index.ts';
import { CommandCheck } from './command.ts';
import { ReadinessError } from './errors.ts';
import type { BerthErrorOptions } from '../../shared/index.ts';
import { HttpCheck } from './http.ts';
import { lastLogLines } from './log-lines.ts';
import { LogCheck } from './log.ts';
import { NoneCheck } from './none.ts';
import { PortCheck } from './port.ts';
import type { AttemptContext, CheckResult, ReadinessCheck, ReadinessProbe } from './types.ts';

/** Longest a single attempt may take, so one hung attempt cannot use up the whole deadline. */
const MAX_ATTEMPT_MS = 10_000;
const LOG_LINES = 20;

export interface ReadinessResult {
  /** Date.now() when the check passed. */
  readyAt: number;
  attempts: number;
}

export function checkFor(service: string, readiness: ReadinessPlan): ReadinessCheck {
  switch (readiness.type) {
    case 'port':
      return readiness.ports.length === 0 ? new NoneCheck() : new PortCheck(readiness.ports);
    case 'http':
      return new HttpCheck(readiness.port, readiness.path, readiness.status);
    case 'log':
      return new LogCheck(service, readiness.pattern);
    case 'command':
      return new CommandCheck(readiness.command);
    case 'none':
      return new NoneCheck();
  }
}

const TIMED_OUT = Symbol('timed out');

/** The runtime's verdict where it has one (its probe runs next to the service), else Berth's check. */
async function attemptOnce(check: ReadinessCheck, probe: ReadinessProbe, context: AttemptContext): Promise<CheckResult> {
  const verdict = await probe.runtimeReadiness?.();
  return verdict ?? check.attempt(probe, context);
}

/** Resolves to TIMED_OUT when `work` takes longer than `ms`: a runtime call must not outlive the deadline. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  const controller = new AbortController();
  const timer = sleep<typeof TIMED_OUT>(Math.max(0, ms), TIMED_OUT, { signal: controller.signal }).catch((): typeof TIMED_OUT => TIMED_OUT);
  try {
    return await Promise.race([work, timer]);
  } finally {
    controller.abort();
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function exitText(state: RuntimeState & { state: 'exited' }): string {
  if (state.signal) return `killed by signal ${state.signal}`;
  if (state.exitCode !== null) return `exit code ${state.exitCode}${state.reason ? `, ${state.reason}` : ''}`;
  return state.reason ?? 'exit code unknown';
}

export async function waitForReadiness(plan: ServicePlan, probe: ReadinessProbe): Promise<ReadinessResult> {
  const { timeoutMs, intervalMs } = plan.readiness;
  const name = plan.name;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  let last: CheckResult = { ready: false, detail: 'no attempt yet' };
  let check: ReadinessCheck;
  try {
    check = checkFor(name, plan.readiness);
  } catch (error) {
    if (!(error instanceof ReadinessError) || error.code !== 'BERTH_READINESS_INVALID') throw error;
    const lines = await lastLogLines(probe.logFile, LOG_LINES, true).catch(() => []);
    const facts = error.details as { service: string; pattern: string };
    throw new ReadinessError('BERTH_READINESS_INVALID', facts, { cause: error.cause, details: { ...facts, lastLogLines: lines } });
  }
  const description = check.description;

  /** What every failure carries: the check, how it went, and what the service logged. */
  const failure = async (cause?: unknown): Promise<BerthErrorOptions> => {
    const lines = await lastLogLines(probe.logFile, LOG_LINES, true).catch(() => []);
    return { cause, details: { service: name, check: description, timeoutMs, attempts, lastAttempt: last.detail, lastLogLines: lines } };
  };
  const abortIfAsked = async (): Promise<void> => {
    if (probe.signal?.aborted) throw new ReadinessError('BERTH_READINESS_ABORTED', { service: name }, await failure(probe.signal.reason));
  };

  for (;;) {
    await abortIfAsked();
    const remaining = deadline - Date.now();
    const state = await within(probe.state(), Math.max(remaining, 1)).catch((error: unknown) => error as Error);
    if (state === TIMED_OUT) {
      last = { ready: false, detail: 'the runtime did not answer in time' };
    } else if (state instanceof Error) {
      last = { ready: false, detail: `the runtime could not say whether it runs: ${state.message}` };
    } else if (state.state === 'exited') {
      throw new ReadinessError('BERTH_READINESS_EXITED', { service: name, check: description, exit: exitText(state) }, await failure());
    } else if (state.state === 'missing') {
      throw new ReadinessError('BERTH_READINESS_EXITED', { service: name, check: description }, await failure());
    } else if (state.state === 'waiting' && state.fatal) {
      throw new ReadinessError('BERTH_READINESS_FAILED', { service: name, reason: state.reason }, await failure());
    } else if (state.state === 'waiting') {
      last = { ready: false, detail: state.reason };
    } else {
      attempts += 1;
      const attemptMs = Math.max(1, Math.min(deadline - Date.now(), MAX_ATTEMPT_MS));
      const attemptTimeout = AbortSignal.timeout(attemptMs);
      const signals = [attemptTimeout, ...(probe.signal ? [probe.signal] : [])];
      const result = await within(attemptOnce(check, probe, { signal: AbortSignal.any(signals), timeoutMs: attemptMs }), attemptMs + 100).catch(
        (error: unknown): CheckResult => ({ ready: false, detail: error instanceof Error ? error.message : String(error) }),
      );
      const current = result === TIMED_OUT ? { ready: false, detail: `no result within ${attemptMs} ms` } : result;
      // An attempt cut short by the deadline saw nothing; the one before it says more.
      const cutShort = !current.ready && attemptTimeout.aborted && Date.now() >= deadline && attempts > 1;
      if (!cutShort) last = current;
      if (last.ready) return { readyAt: Date.now(), attempts };
      if (last.fatal) {
        throw new ReadinessError('BERTH_READINESS_FAILED', { service: name, check: description, reason: last.detail }, await failure());
      }
    }
    await abortIfAsked();
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ReadinessError('BERTH_READINESS_TIMEOUT', { service: name, timeout: seconds(timeoutMs), check: description, lastAttempt: last.detail, attempts }, await failure());
    }
    try {
      await sleep(Math.min(intervalMs, left), undefined, probe.signal ? { signal: probe.signal } : undefined);
    } catch {
      await abortIfAsked();
    }
  }
}
