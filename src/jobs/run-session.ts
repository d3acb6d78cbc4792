/**
 * A run and its session: waiting until the session's services are ready, what an interactive
 * run's steps read about them, and stopping a job run's own session at the end.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SessionError, type SessionManager } from '../sessions/index.ts';
import { JobError } from './errors.ts';
import type { JobStore, RunRecord } from './store.ts';
import type { StepTokens } from './tokens.ts';

/** Waits until every service of the session is ready; a failed service fails the run with its reason. */
export async function waitForServices(sessions: SessionManager, store: JobStore, run: RunRecord, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const { sessionUuid } = run;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new JobError('BERTH_JOB_CANCELLED');
    const view = sessions.get(sessionUuid);
    if (view.status === 'running') {
      // The record shows every step started after every service's check passed.
      store.recordServicesReady(run.uuid, view.services.map((s) => ({ name: s.name, startedAt: s.startedAt, readyAt: s.readyAt })));
      return;
    }
    if (view.status === 'failed') {
      throw new JobError('BERTH_JOB_SERVICES_FAILED', { reason: view.reason }, {
        details: { services: view.services.map((s) => ({ name: s.name, status: s.status, reason: s.reason, details: s.details })) },
      });
    }
    if (view.status === 'stopped' || view.status === 'stopping') {
      throw new SessionError('BERTH_SESSION_STOPPED', { why: 'before-steps' });
    }
    if (Date.now() > deadline) {
      const waiting = view.services.filter((s) => s.status !== 'ready').map((s) => `${s.name} (${s.status})`);
      throw new JobError('BERTH_JOB_SERVICES_TIMEOUT', { seconds: Math.round(timeoutMs / 1000), waiting });
    }
    await pause(signal, 200);
  }
}

/**
 * What the SDK's get_service returns in an interactive run: the session's services as they run
 * now, in a file beside the run, so steps in containers and pods need no way back to Berth's API
 * (job runs read them from the run's pipeline file).
 */
export async function writeServicesFile(sessions: SessionManager, run: RunRecord): Promise<string> {
  const servicesFile = join(run.runDir, 'session-services.json');
  await mkdir(run.runDir, { recursive: true });
  await writeFile(servicesFile, `{"user_services":${await sessions.userServicesJson(run.sessionUuid)}}`);
  return servicesFile;
}

/** Stops a job run's session and revokes its step tokens; logs what fails, since the run ends either way. */
export async function stopRunSession(sessions: SessionManager, tokens: StepTokens, logger: Logger, sessionUuid: string): Promise<void> {
  try {
    if (sessions.find(sessionUuid)) await sessions.stop(sessionUuid);
  } catch (error) {
    logger.error({ err: error, sessionUuid }, 'stopping the run session failed');
  }
  await tokens.revoke(sessionUuid);
}

/** A pause between looks at the session that ends early on abort (no listener per run on the manager). */
function pause(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
