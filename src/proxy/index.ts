/** @module proxy: the data plane (routing, streaming, WebSockets, the auth check) and `berth proxy`. */
export { RouteTable, isServicePath, type ProxyRoute, type RouteMatch, type UpstreamTarget } from './route-table.ts';
export { createProxy, isValidRequestTarget, prepareServer, type Proxy, type ProxyOptions, type Authorize, type ServiceOrigins } from './proxy.ts';
export { classifyHost, hostPortSuffix, normaliseServiceDomain, serviceHostKey, HANDSHAKE_PATH, type HostKind } from './service-hosts.ts';
export { withoutBerthCookieValues } from './headers.ts';
export type { Page } from './pages.ts';
export { ProxyError, PROXY_CODES, PROXY_CATALOGUE, type ProxyCode } from './errors.ts';
export { parseStaticRoutes, startStandaloneProxy, type StandaloneProxy, type StandaloneProxyOptions } from './standalone.ts';
export type { CredentialFilter } from './headers.ts';
