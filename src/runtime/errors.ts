import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { RUNTIME_CODES, type RuntimeCode } from './codes.ts';

/**
 * Errors of every runtime (local, docker, kubernetes): BERTH_RUNTIME_* codes, declared in
 * ./codes.ts with their message and hint, e.g. BERTH_RUNTIME_PORT_IN_USE,
 * BERTH_RUNTIME_EXECUTABLE_NOT_FOUND. A throw site passes the code and its facts.
 */
export class RuntimeError extends BerthError<RuntimeCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof RUNTIME_CODES>) {
    super(code, renderError(RUNTIME_CODES[code], params), options);
  }
}
