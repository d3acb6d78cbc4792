/** @module sessions/readiness: when a started service counts as ready (one deadline per service). */
export { waitForReadiness, checkFor, type ReadinessResult } from './wait.ts';
export { runtimeProbe } from './probe.ts';
export { lastLogLines, outputStart } from './log-lines.ts';
export { ReadinessError } from './errors.ts';
export { PortCheck } from './port.ts';
export { HttpCheck } from './http.ts';
export { LogCheck } from './log.ts';
export { CommandCheck } from './command.ts';
export { NoneCheck } from './none.ts';
export type { ReadinessProbe, ReadinessCheck, CheckResult, AttemptContext } from './types.ts';
