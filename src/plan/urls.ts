/** URL paths of one planned service, for the proxy, the UI and `berth plan`. */
import { externalUrlTemplate, routeBasePath, routeName } from './naming.ts';
import type { ServicePlan } from './types.ts';

export interface ServiceUrlPaths {
  port: number;
  /** `[pbp-]service-<name>-<sid>_<port>`. */
  routeName: string;
  /** `/[pbp-]service-<name>-<sid>_<port>`. */
  basePath: string;
  /** The link to open (Orchest's UI added the trailing slash, orchest-compatibility.md: URLs and the proxy). */
  path: string;
  /** The SDK's `external_urls` entry (placeholders for host and port). */
  externalUrl: string;
  /** Whether the proxy serves it: only exposed services get routes. */
  exposed: boolean;
}

/** One entry per declared port, exposed or not (the SDK lists them all, the proxy only exposed ones). */
export function serviceUrlPaths(service: ServicePlan): ServiceUrlPaths[] {
  return service.ports.map((port) => {
    const basePath = routeBasePath(service.name, service.sessionUuid, port, service.preserveBasePath);
    return {
      port,
      routeName: routeName(service.name, service.sessionUuid, port, service.preserveBasePath),
      basePath,
      path: `${basePath}/`,
      externalUrl: externalUrlTemplate(basePath),
      exposed: service.exposed,
    };
  });
}
