/** The plan layer's error: a pipeline that loads but cannot become a session (see codes in each throw). */
import { BerthError } from '../shared/index.ts';

export class PlanError extends BerthError {}
