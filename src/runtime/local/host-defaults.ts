/**
 * An image means nothing on the host. For well-known images the local runtime knows what the
 * image would run (argv when the service sets neither `command` nor `args`) and where (the image's
 * working directory, so relative paths in a service's own command keep working). Documented in
 * docs/runtimes/local.md; keep the two in sync.
 */

export interface HostDefault {
  /** Image name without registry, tag or digest (`docker.io/library/redis:7` -> `redis`). */
  image: string;
  /** What to run when the service sets no `command`/`args`; `port` is the first declared port. */
  argv?: (port: number | undefined) => string[];
  /** The image's WORKDIR: the scratch dir's matching subdirectory becomes the cwd. */
  workdir?: string;
  /** How to get the program on the host, for the error when it is missing. */
  install?: string;
}

// Loopback only: a container's port is private to its network, a host process's is not.
const HOST_DEFAULTS: HostDefault[] = [
  {
    image: 'redis',
    argv: (port) => ['redis-server', '--port', String(port ?? 6379), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    workdir: '/data',
    install: 'apt-get install redis-server',
  },
  {
    image: 'valkey/valkey',
    argv: (port) => ['valkey-server', '--port', String(port ?? 6379), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    workdir: '/data',
    install: 'apt-get install valkey-server',
  },
  {
    image: 'memcached',
    argv: (port) => ['memcached', '--port', String(port ?? 11211), '--listen', '127.0.0.1'],
    install: 'apt-get install memcached',
  },
  { image: 'orchest/streamlit', workdir: '/usr/src/app' },
];

/** `docker.io/library/redis:7-alpine@sha256:…` -> `redis`; `ghcr.io/org/app:1` -> `org/app`. */
export function imageName(image: string): string {
  let name = image.split('@')[0] ?? '';
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  const parts = name.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
  if (parts.length > 1 && parts[0] === 'library') parts.shift();
  return parts.join('/');
}

export function hostDefaultFor(image: string): HostDefault | undefined {
  const name = imageName(image);
  return HOST_DEFAULTS.find((entry) => entry.image === name);
}

/** The table, for docs and error hints. */
export function hostDefaultImages(): string[] {
  return HOST_DEFAULTS.filter((entry) => entry.argv).map((entry) => entry.image);
}
