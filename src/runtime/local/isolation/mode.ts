/**
 * Which isolation the local runtime gives sessions: `namespace` (one network and mount namespace
 * per session) or `host` (services on the host's real ports). Chosen once per runtime from the
 * option or BERTH_LOCAL_ISOLATION; `auto` probes whether namespaces can be made here.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.ts';

export type IsolationRequest = 'auto' | 'namespace' | 'host';
export type IsolationMode = 'namespace' | 'host';

export interface Isolation {
  mode: IsolationMode;
  /** Why this mode, for the banner and `session status` ("forced by BERTH_LOCAL_ISOLATION=host"). */
  reason: string;
  /** Not root: namespaces are made inside a new user namespace (`--user --map-root-user`). */
  userNamespace: boolean;
}

/** sbin directories hold `ip`; a non-root PATH often lacks them. */
export const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The absolute path of a util-linux/iproute2 tool (spawn resolves names with the child's PATH, a service's own). */
export function toolPath(name: string): string {
  for (const dir of TOOL_PATH.split(':')) if (existsSync(join(dir, name))) return join(dir, name);
  return name;
}

const REQUESTS: readonly IsolationRequest[] = ['auto', 'namespace', 'host'];

export function parseIsolationRequest(value: string | undefined, where: string): IsolationRequest {
  if (value === undefined || value === '') return 'auto';
  if ((REQUESTS as readonly string[]).includes(value)) return value as IsolationRequest;
  throw new RuntimeError('BERTH_RUNTIME_ISOLATION_INVALID', { setting: where, value }, { details: { value } });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The unshare flags that make a session's namespaces as this user. */
export function unshareFlags(userNamespace: boolean): string[] {
  return [...(userNamespace ? ['--user', '--map-root-user'] : []), '--net', '--mount'];
}

/** undefined when namespaces work here, else why not (one short spawn; measured ~10 ms). */
export function probeNamespaces(userNamespace = !isRoot()): string | undefined {
  if (process.platform !== 'linux') return `namespaces are Linux's (this is ${process.platform})`;
  for (const tool of ['nsenter', 'mount']) {
    const found = spawnSync(tool, ['--version'], { env: { PATH: TOOL_PATH }, stdio: 'ignore' });
    if (found.error) return `${tool} is not installed (apt-get install util-linux mount)`;
  }
  const result = spawnSync('unshare', [...unshareFlags(userNamespace), 'ip', 'link', 'set', 'lo', 'up'], {
    env: { PATH: TOOL_PATH },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing ? 'unshare is not installed (apt-get install util-linux)' : `unshare failed: ${result.error.message}`;
  }
  if (result.status !== 0) {
    const why = result.stderr.trim().split('\n').pop() ?? '';
    return `unshare ${unshareFlags(userNamespace).join(' ')} failed (${why || `exit ${result.status}`})${userNamespace ? '; unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)' : ''}`;
  }
  return undefined;
}

/**
 * undefined when sessions in a namespace can reach the network (slirp4netns installed and
 * /dev/net/tun open to this user), else why not. `auto` isolates only then: a default must not cut
 * `pip install` off; `namespace` isolates regardless and says so.
 */
export function probeOutbound(): string | undefined {
  if (toolPath('slirp4netns') === 'slirp4netns') return 'slirp4netns is not installed (apt-get install slirp4netns)';
  try {
    closeSync(openSync('/dev/net/tun', 'r+'));
    return undefined;
  } catch (error) {
    return `/dev/net/tun cannot be opened by this user (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/**
 * Resolves a request into the mode this runtime uses; `namespace` that cannot work is an error.
 * `source` names where the request came from; undefined: nobody asked (the default).
 */
export function resolveIsolation(request: IsolationRequest, source: string | undefined): Isolation {
  const userNamespace = !isRoot();
  if (request === 'host') {
    const why = `forced by ${source ?? 'BERTH_LOCAL_ISOLATION'}=host`;
    return { mode: 'host', reason: `services listen on the host's real ports (${why})`, userNamespace };
  }
  const problem = probeNamespaces(userNamespace);
  const noOutbound = problem === undefined ? probeOutbound() : undefined;
  if (problem === undefined && (noOutbound === undefined || request === 'namespace')) {
    const outbound = noOutbound === undefined ? 'outbound network through slirp4netns' : `no outbound network: ${noOutbound}`;
    return { mode: 'namespace', reason: `one network namespace per session${userNamespace ? ' (unprivileged, in a user namespace)' : ''}; ${outbound}`, userNamespace };
  }
  if (request === 'auto') {
    const why = problem === undefined ? `sessions in a namespace would have no outbound network: ${noOutbound}` : `namespaces unavailable: ${problem}`;
    return { mode: 'host', reason: `services listen on the host's real ports (${why}); BERTH_LOCAL_ISOLATION=namespace isolates anyway`, userNamespace };
  }
  source ??= 'BERTH_LOCAL_ISOLATION';
  throw new RuntimeError('BERTH_RUNTIME_ISOLATION_UNAVAILABLE', { source, problem }, { details: { problem } });
}
