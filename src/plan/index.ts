/**
 * @module plan: session plans, pure functions (no I/O). PipelineSpec + SessionContext -> SessionPlan
 * with every naming, argv, env, mount, route and readiness rule of Orchest's services in one place.
 */
export type * from './types.ts';
export { LABELS } from './types.ts';
export { PlanError, PLAN_CODES, type PlanCode } from './errors.ts';
export { planSession, planSessionInSteps, substituteBasePathPrefix, specHashOf, ENVIRONMENT_IMAGE_PREFIX } from './plan.ts';
export { splitArgs, commandArgv } from './argv.ts';
export { sessionUuidFor, nameBasedUuid, projectUuidForPath, URL_NAMESPACE, type SessionUuidInput } from './session-uuid.ts';
export { diffPlans, type PlanDiff } from './diff.ts';
export { sdkServiceView, type SdkServiceView } from './sdk-view.ts';
export { buildServiceEnv, maskEnv, pipelinePathInService, MASK, ORCHEST_SDK_VARS, ORCHEST_DEFAULT_PIPELINE_PATH, type EnvInput } from './env.ts';
export { serviceUrlPaths, type ServiceUrlPaths } from './urls.ts';
export {
  serviceHostname,
  isValidHostname,
  routePrefix,
  routeName,
  routeBasePath,
  externalUrlTemplate,
  routeNameFromPath,
  MAX_HOSTNAME_LENGTH,
} from './naming.ts';
export { shellSplit, type SplitResult } from './shlex.ts';
export { resolveReadiness, DEFAULT_HTTP_STATUS, DEFAULT_HTTP_PATH, DEFAULT_READINESS_TIMEOUT_SECONDS, READINESS_INTERVAL_MS } from './readiness.ts';
export { canonicalJson } from './hash.ts';
