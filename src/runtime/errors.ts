import { BerthError } from '../shared/index.ts';
import type { RuntimeCode } from './codes.ts';

/**
 * Errors of every runtime (local, docker, kubernetes): BERTH_RUNTIME_* codes, declared in
 * ./codes.ts, e.g. BERTH_RUNTIME_PORT_IN_USE, BERTH_RUNTIME_EXECUTABLE_NOT_FOUND. The message
 * names the service and what to change.
 */
export class RuntimeError extends BerthError<RuntimeCode> {}
