/**
 * Service URLs, from the same pure naming module the plan and the proxy use, so the URLs the
 * editor promises are the ones the session serves.
 */
import { routeBasePath } from '../../../src/plan/naming.ts';

export function serviceUrl(name: string, sessionUuid: string, port: number, preserveBasePath: boolean): string {
  return `${routeBasePath(name, sessionUuid, port, preserveBasePath)}/`;
}

export function absolute(path: string): string {
  return `${location.origin}${path}`;
}
