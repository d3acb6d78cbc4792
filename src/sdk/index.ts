/** @module sdk: the typed API client (scripts, the CLI) and the step SDK for Node steps. */
export { BerthClient, ApiClientError, type ClientOptions } from './client.ts';
/** The API's types, from its one contract (src/api), for the SDK's users. */
export type {
  BuildInfo,
  EnvironmentInfo,
  JobInfo,
  OperationName,
  PipelineInfo,
  PlanDiff,
  ProjectInfo,
  Reply,
  RunInfo,
  RunStepInfo,
  ServiceInfo,
  SessionInfo,
  SessionUpdate,
  UserInfo,
} from '../api/index.ts';
export { mergeSessionUpdate, SessionFollower } from '../api/index.ts';
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
