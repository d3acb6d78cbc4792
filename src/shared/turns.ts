/**
 * Work over many items (1,000 services) with the event loop free in between, so `/api/health`, the
 * proxy and other sessions are answered while it runs (docs/security.md, "Scale and liveness").
 */

/** Items handled before the event loop may answer requests. */
export const BATCH = 25;

/** Resolves in a later turn of the event loop, after the I/O that is waiting. */
export function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
