/** @module sdk: the typed API client (scripts, the CLI) and the step SDK for Node steps. */
export {
  BerthClient,
  ApiClientError,
  type ClientOptions,
  type ProjectInfo,
  type PipelineInfo,
  type ServiceInfo,
  type SessionInfo,
  type PlanDiff,
  type JobInfo,
  type RunInfo,
  type RunStepInfo,
} from './client.ts';
export {
  getService,
  getServices,
  getParams,
  getStepParam,
  getPipelineParam,
  SdkError,
  type SdkService,
  type SdkOptions,
} from './services.ts';
export { SDK_CODES, CLIENT_CODES, type SdkCode, type ClientCode } from './codes.ts';
export {
  credentialsPath,
  defaultDataDir,
  resolveCredentials,
  saveCredentials,
  normaliseUrl,
  type ResolvedCredentials,
} from './credentials.ts';
