/** @module server/auth: sign-in, API tokens, CSRF and the service-proxy check. */
export { createAuth, AUTH_OFF_WARNING, type Auth, type AuthOptions, type BootstrapResult, type ProxyRouteAuth } from './auth.ts';
export { authMigrations } from './migrations.ts';
export { AuthError } from './errors.ts';
export { ANONYMOUS, type Principal, type Scope } from './principal.ts';
export { SESSION_COOKIE, stripSessionCookie } from './cookies.ts';
export { carriesTokenShapedBearer } from './bearer.ts';
export { CSRF_HEADER } from './guard.ts';
export { CLI_TOKEN_FILE, cliTokenPath } from './cli-token.ts';
export { safeNextPath } from './next-path.ts';
export type { PrincipalView } from './login-routes.ts';
export type { TokenView, UserView } from './admin-routes.ts';
export { loginLinkUrl, LOGIN_LINK_LIFETIME_MS } from './login-link.ts';
