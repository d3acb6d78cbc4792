import { BerthError } from '../shared/index.ts';

/** Errors of environments (definitions in the project, image builds): codes `BERTH_ENV_<WHAT>`. */
export class EnvironmentError extends BerthError {}
