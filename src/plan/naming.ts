/**
 * Names and URL paths of services, exactly as Orchest's Kubernetes era made them
 * (orchest-compatibility.md: Internal host names; URLs and the proxy; The SDK's get_service), in one place for the plan, the proxy and the UI.
 */

/** RFC 1035 label: what Kubernetes requires of Service names, and what DNS requires of a host name. */
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_HOSTNAME_LENGTH = 63;

/** `<name>-<session_uuid>`: the internal host name (orchest-compatibility.md: Internal host names). */
export function serviceHostname(name: string, sessionUuid: string): string {
  return `${name}-${sessionUuid}`;
}

export function isValidHostname(hostname: string): boolean {
  return hostname.length <= MAX_HOSTNAME_LENGTH && RFC1035_LABEL.test(hostname);
}

/**
 * `service-<name>-<sid>` or `pbp-service-<name>-<sid>`: Orchest's `ingress_url`, which is also what
 * `$BASE_PATH_PREFIX` becomes (no leading slash, no port: users append `_<port>` themselves, orchest-compatibility.md: $BASE_PATH_PREFIX).
 */
export function routePrefix(name: string, sessionUuid: string, preserveBasePath: boolean): string {
  return `${preserveBasePath ? 'pbp-' : ''}service-${name}-${sessionUuid}`;
}

/** `[pbp-]service-<name>-<sid>_<port>`: the first URL path segment the proxy matches. */
export function routeName(name: string, sessionUuid: string, port: number, preserveBasePath: boolean): string {
  return `${routePrefix(name, sessionUuid, preserveBasePath)}_${port}`;
}

/** `/[pbp-]service-<name>-<sid>_<port>`: the SDK's `base_paths` value (no trailing slash, orchest-compatibility.md: The SDK's get_service). */
export function routeBasePath(name: string, sessionUuid: string, port: number, preserveBasePath: boolean): string {
  return `/${routeName(name, sessionUuid, port, preserveBasePath)}`;
}

/**
 * The SDK's `external_urls` value: literal `{host_name}` and `{port}` placeholders because the
 * SDK inside a container cannot know the public host (orchest-compatibility.md: The SDK's get_service), no trailing slash.
 */
export function externalUrlTemplate(basePath: string): string {
  return `http://{host_name}:{port}${basePath}`;
}

const ROUTE_SEGMENT = /^(pbp-)?service-[0-9a-z-]+_[0-9]+$/;

/**
 * The route name a request path addresses (its first segment), or undefined when the path is not a
 * service path. The proxy then looks the name up in its table; names are never parsed apart because
 * both the service name and the session uuid contain dashes.
 */
export function routeNameFromPath(path: string): string | undefined {
  const start = path.startsWith('/') ? 1 : 0;
  const end = path.slice(start).search(/[/?#]/);
  const segment = end === -1 ? path.slice(start) : path.slice(start, start + end);
  return ROUTE_SEGMENT.test(segment) ? segment : undefined;
}
