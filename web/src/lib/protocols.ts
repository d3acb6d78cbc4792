/**
 * Which service ports are web pages. The proxy only speaks HTTP, so an "Open" link to Redis or
 * Postgres answers 502; those ports show the address steps connect to instead. A port counts as
 * HTTP unless the service's image or the port is a well-known non-HTTP server, or readiness says
 * otherwise (an HTTP readiness check settles it as HTTP).
 */
import type { ServiceSpec } from '../../../src/spec/browser.ts';

/** Images (last path segment, tag dropped) of servers that speak their own protocol. */
const NON_HTTP_IMAGES = new Set([
  'redis', 'valkey', 'keydb', 'postgres', 'postgis', 'timescaledb', 'mysql', 'mariadb', 'mongo', 'mongodb', 'memcached',
  'rabbitmq', 'cassandra', 'kafka', 'zookeeper', 'nats', 'mssql-server', 'clickhouse-server',
]);

/** Their default ports, for custom images running the same servers. */
const NON_HTTP_PORTS = new Set([6379, 5432, 3306, 27017, 11211, 5672, 9042, 9092, 2181, 4222, 1433]);

export function imageBase(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const last = withoutDigest.split('/').pop() ?? '';
  return last.split(':')[0]!.toLowerCase();
}

export function speaksHttp(spec: Pick<ServiceSpec, 'image' | 'readiness'> | undefined, port: number): boolean {
  const readiness = spec?.readiness as { type?: string; port?: number } | undefined;
  if (readiness?.type === 'http' && (readiness.port === undefined || readiness.port === port)) return true;
  if (spec && NON_HTTP_IMAGES.has(imageBase(spec.image))) return false;
  return !NON_HTTP_PORTS.has(port);
}
