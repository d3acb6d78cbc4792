/**
 * @module api: the HTTP API's contract on the client side, one for all: the request and answer
 * types (types.ts) and the table of operations with the URL builder (routes.ts). The server's
 * routes declare the same operations with JSON Schemas; contract.test.ts holds the two together.
 */
export type * from './types.ts';
export {
  API_ROUTES,
  PAGE_ROUTES,
  apiPath,
  bodyFor,
  type ApiMethod,
  type ApiRoute,
  type Body,
  type CallArgs,
  type OperationName,
  type Operations,
  type Params,
  type PathParamNames,
  type Query,
  type Reply,
} from './routes.ts';
export { mergeSessionUpdate, SessionFollower } from './session-updates.ts';
