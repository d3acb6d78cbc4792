/**
 * Work over many items (1,000 services) with the event loop free in between, so `/api/health`, the
 * proxy and other sessions are answered while it runs (docs/security.md, "Scale and liveness").
 */

/**
 * Items handled before the event loop may answer requests. 10, not 25: stopping 1,000 local services,
 * 25 a turn made turns of about 30 ms (each stop signals its group, and the signalled process's exit
 * runs on the signaller's time: npm run bench:liveness), and /api/health answered in 56-121 ms during the stop (eight runs);
 * 10 a turn, 23-65 ms in ten runs of eleven, 91 ms in one (docs/security.md).
 */
export const BATCH = 10;

/** Resolves in a later turn of the event loop, after the I/O that is waiting. */
export function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
