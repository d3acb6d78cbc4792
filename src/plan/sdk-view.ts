/**
 * What Orchest's SDK `get_service(name)` returns (orchest-compatibility.md: The SDK's get_service): every field of the service spec
 * (after `$BASE_PATH_PREFIX` substitution) except `scope`, plus `internal_hostname`,
 * `external_urls` and `base_paths` keyed by port. Like Orchest, URLs are listed for every port,
 * exposed or not.
 */
import { externalUrlTemplate, routeBasePath } from './naming.ts';
import type { ServicePlan } from './types.ts';

export interface SdkServiceView {
  [field: string]: unknown;
  internal_hostname: string;
  /** Port -> `http://{host_name}:{port}/[pbp-]service-<name>-<sid>_<port>` (literal placeholders). */
  external_urls: Record<string, string>;
  /** Port -> `/[pbp-]service-<name>-<sid>_<port>`. */
  base_paths: Record<string, string>;
}

/**
 * `internalHostname`: the name steps should use in the runtime that runs the service (the
 * runtime knows: `localhost` for local processes); defaults to the plan's `<name>-<sid>`.
 */
export function sdkServiceView(service: ServicePlan, internalHostname: string = service.hostname): SdkServiceView {
  // Nested members are the plan's own, not copies: a view is only ever serialised, and a plan is never
  // changed once made (it is cached and shared). A copy each cost 20-40 ms for 1,000 services.
  const { scope: _scope, ...fields } = service.spec;
  const preserveBasePath = service.spec.preserve_base_path ?? false;
  const external_urls: Record<string, string> = {};
  const base_paths: Record<string, string> = {};
  for (const port of service.spec.ports ?? []) {
    const basePath = routeBasePath(service.spec.name, service.sessionUuid, port, preserveBasePath);
    base_paths[String(port)] = basePath;
    external_urls[String(port)] = externalUrlTemplate(basePath);
  }
  return { ...fields, internal_hostname: internalHostname, external_urls, base_paths };
}
