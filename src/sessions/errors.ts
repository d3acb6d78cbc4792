import { BerthError } from '../shared/index.ts';

/** Errors of the session layer: BERTH_SESSION_* codes. */
export class SessionError extends BerthError {}
