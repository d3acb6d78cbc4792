/** @module runtime/local: services as host process groups (Berth's embedded default runtime). */
export { createLocalRuntime, EXITED_WHILE_AWAY, type LocalRuntimeOptions } from './runtime.ts';
export { hostDefaultFor, imageName, type HostDefault } from './host-defaults.ts';
export { hostProgramProblem, type HostProgramProblem } from './command.ts';
