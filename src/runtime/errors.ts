import { BerthError } from '../shared/index.ts';

/**
 * Errors of every runtime (local, docker, kubernetes): BERTH_RUNTIME_* codes, e.g.
 * BERTH_RUNTIME_PORT_IN_USE, BERTH_RUNTIME_EXECUTABLE_NOT_FOUND, BERTH_RUNTIME_NO_COMMAND,
 * BERTH_RUNTIME_NEEDS_CONTAINERS. The message names the service and what to change.
 */
export class RuntimeError extends BerthError {}
