/** @module shared: the few pieces every layer may import (errors, where Berth is installed). */
export {
  BerthError,
  InternalError,
  toBerthError,
  SHARED_CODES,
  type BerthErrorOptions,
  type ErrorSpec,
  type ErrorCatalogue,
  type ErrorArgs,
  type ErrorText,
  defineError,
  renderError,
  type SharedCode,
} from './errors.ts';
export { installPath, findInstallDir } from './install-dir.ts';
export { BATCH, yieldToRequests } from './turns.ts';
export { berthVersion } from './version.ts';
export { loginLinkUrl } from './login-link-url.ts';
