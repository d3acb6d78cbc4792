/**
 * A session's namespaces on the local runtime: one holder process per session (holder.mjs under
 * `unshare --net --mount`) keeps them alive and forwards Unix sockets in `<dir>` to ports inside.
 * Its pid and start time are recorded in `<dir>/holder.json`, so a later Berth process adopts it
 * (sessions that still run) or stops it (cleanupSession), as it does service process groups.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { installPath } from '../../../shared/index.ts';
import { RuntimeError } from '../../errors.ts';
import { stopGroup } from '../groups.ts';
import { groupMembers, readProcStat } from '../procfs.ts';
import { TOOL_PATH, toolPath, unshareFlags, type Isolation } from './mode.ts';

export interface HolderState {
  version: 1;
  sessionUuid: string;
  /** The outer process on the host: leads the holder's process group (pgid = pid). */
  pid: number;
  /** /proc/<pid>/stat field 22: tells a reused pid apart. */
  procStartTime: number;
  /** The inner process, whose namespaces are the session's (nsenter's target). */
  nsPid: number;
  nsStartTime: number;
  userNamespace: boolean;
  startedAt: string;
  /** Outbound network of the session: `slirp4netns`, or `none: <why>` (docs/runtimes/local.md). */
  network: string;
}

const READY_TIMEOUT_MS = 15_000;
/** sun_path is 108 bytes with its terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * `<stateDir>/ns/<12 hex of sha256(sid)>`: short, because a Unix socket path has 107 bytes and a
 * data directory in a temp dir plus `sessions/<36-char sid>/` already took most of them.
 */
export function namespaceDir(stateDir: string, sessionUuid: string): string {
  return join(stateDir, 'ns', createHash('sha256').update(sessionUuid).digest('hex').slice(0, 12));
}

export class SessionNamespaces {
  readonly #stateDir: string;
  readonly #isolation: Isolation;
  /** Holders being started by this process: parallel starts of one session share one. */
  readonly #starting = new Map<string, Promise<HolderState>>();
  /** The lines of each session's hosts file, read once: reading it at every start made 1,000 starts quadratic. */
  readonly #hostsLines = new Map<string, Set<string>>();

  constructor(stateDir: string, isolation: Isolation) {
    this.#stateDir = stateDir;
    this.#isolation = isolation;
  }

  dir(sessionUuid: string): string {
    return namespaceDir(this.#stateDir, sessionUuid);
  }

  socketPath(sessionUuid: string, port: number): string {
    return join(this.dir(sessionUuid), String(port));
  }

  #stateFile(sessionUuid: string): string {
    return join(this.dir(sessionUuid), 'holder.json');
  }

  /** The recorded holder, only while its process still runs. */
  live(sessionUuid: string): HolderState | undefined {
    const state = readHolderState(this.#stateFile(sessionUuid));
    if (!state) return undefined;
    const alive = (pid: number, startTime: number): boolean => {
      const stat = readProcStat(pid);
      return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z';
    };
    return state.version === 1 && alive(state.pid, state.procStartTime) && alive(state.nsPid, state.nsStartTime) ? state : undefined;
  }

  /**
   * Sessions whose holder state is on disk, alive or not: a holder can outlive every instance of its
   * session (steps ran but no service, or a stop that crashed after its services were gone), and
   * recovery must find it by its session to remove it. The directory name is a hash, so the
   * session comes from holder.json.
   */
  recorded(): string[] {
    let entries: string[];
    try {
      entries = readdirSync(join(this.#stateDir, 'ns'));
    } catch {
      return [];
    }
    return entries.flatMap((entry) => {
      const state = readHolderState(join(this.#stateDir, 'ns', entry, 'holder.json'));
      // A session uuid is letters, digits and dashes: never a path that cleanup could be led out by.
      return state && typeof state.sessionUuid === 'string' && /^[A-Za-z0-9-]+$/.test(state.sessionUuid) ? [state.sessionUuid] : [];
    });
  }

  /** The session's holder, started when it has none (or its recorded one is gone). */
  ensure(sessionUuid: string): Promise<HolderState> {
    const running = this.live(sessionUuid);
    if (running) return Promise.resolve(running);
    let pending = this.#starting.get(sessionUuid);
    if (!pending) {
      pending = this.#start(sessionUuid).finally(() => this.#starting.delete(sessionUuid));
      this.#starting.set(sessionUuid, pending);
    }
    return pending;
  }

  async #start(sessionUuid: string): Promise<HolderState> {
    const dir = this.dir(sessionUuid);
    const longest = `${this.socketPath(sessionUuid, 65535)}.probe`;
    if (Buffer.byteLength(longest) > MAX_SOCKET_PATH) {
      throw new RuntimeError('BERTH_RUNTIME_SOCKET_PATH_TOO_LONG', { sessionUuid, path: longest, maxBytes: MAX_SOCKET_PATH }, { details: { path: longest } });
    }
    await this.remove(sessionUuid, 1_000); // a holder half gone (one of its two processes), its sockets
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, `${readHostHosts()}\n# berth session ${sessionUuid}\n`, { mode: 0o644 });
    const log = openSync(join(dir, 'holder.log'), 'a');
    try {
      const holder = installPath('src', 'runtime', 'local', 'isolation', 'holder.mjs');
      const argv = [holder, dir, hostsFile, toolPath('unshare'), ...unshareFlags(this.#isolation.userNamespace)];
      const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', 'pipe', log], env: { PATH: TOOL_PATH } });
      const startedAt = new Date().toISOString();
      const nsPid = await waitForReady(child, sessionUuid, join(dir, 'holder.log'));
      const pid = child.pid!;
      child.stdout?.destroy();
      child.unref();
      const state: HolderState = {
        version: 1,
        sessionUuid,
        pid,
        procStartTime: readProcStat(pid)?.startTime ?? -1,
        nsPid,
        nsStartTime: readProcStat(nsPid)?.startTime ?? -1,
        userNamespace: this.#isolation.userNamespace,
        startedAt,
        network: readNetworkOutcome(join(dir, 'network')),
      };
      const temp = `${this.#stateFile(sessionUuid)}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      renameSync(temp, this.#stateFile(sessionUuid));
      return state;
    } finally {
      closeSync(log);
    }
  }

  /** Makes `<dir>/<port>` forward to 127.0.0.1:<port> inside the session, for each port. */
  async listen(sessionUuid: string, ports: number[]): Promise<void> {
    for (const port of ports) await control(join(this.dir(sessionUuid), 'control'), `listen ${port}`, sessionUuid);
  }

  /** Makes 127.0.0.1:<port> inside the session reach the same port on the host (Berth's API, for steps). */
  async outward(sessionUuid: string, port: number): Promise<void> {
    await control(join(this.dir(sessionUuid), 'control'), `outward ${port}`, sessionUuid);
  }

  /** Maps `hostname` and `name` to the session's loopback in its /etc/hosts (the file is bind-mounted: append in place). */
  addHost(sessionUuid: string, hostname: string, name: string): void {
    const file = join(this.dir(sessionUuid), 'hosts');
    const line = `127.0.0.1 ${hostname} ${name}`;
    let lines = this.#hostsLines.get(sessionUuid);
    if (!lines) {
      lines = new Set(readFileSync(file, 'utf8').split('\n'));
      this.#hostsLines.set(sessionUuid, lines);
    }
    if (lines.has(line)) return;
    appendFileSync(file, `${line}\n`);
    lines.add(line);
  }

  /**
   * argv prefix that runs a program inside the session's namespaces (no shell), in `cwd`: entering
   * a mount namespace moves a process to its root, so the working directory is set again.
   */
  enterArgv(holder: HolderState, cwd: string): string[] {
    const user = holder.userNamespace ? ['--user', '--preserve-credentials'] : [];
    return [toolPath('nsenter'), `--target=${holder.nsPid}`, ...user, '--net', '--mount', `--wd=${cwd}`, '--'];
  }

  /** Stops the holder (its forwarders with it) and removes its sockets, hosts file and state. */
  async remove(sessionUuid: string, graceMs: number): Promise<void> {
    this.#hostsLines.delete(sessionUuid);
    const state = readHolderState(this.#stateFile(sessionUuid));
    if (state && groupMembers(state.pid, state.procStartTime).length > 0) {
      await stopGroup(`namespace holder of session ${sessionUuid}`, state.pid, state.procStartTime, graceMs);
    }
    rmSync(this.dir(sessionUuid), { recursive: true, force: true });
  }
}

/** holder.json as written by #start; undefined when it is missing or unreadable (a start cut short). */
function readHolderState(file: string): HolderState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HolderState;
  } catch {
    return undefined;
  }
}

function readNetworkOutcome(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || 'none: unknown';
  } catch {
    return 'none: unknown';
  }
}

function readHostHosts(): string {
  try {
    return readFileSync('/etc/hosts', 'utf8').trimEnd();
  } catch {
    return '127.0.0.1 localhost\n::1 localhost';
  }
}

/** The inner process's pid, once the holder says `ready <pid>`. */
function waitForReady(child: ReturnType<typeof spawn>, sessionUuid: string, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (why: string, cause?: Error): void => {
      clearTimeout(timer);
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      reject(
        new RuntimeError('BERTH_RUNTIME_NAMESPACE_FAILED', { sessionUuid, reason: why, log: logged }, {
          cause,
          details: { sessionUuid },
        }),
      );
    };
    const timer = setTimeout(() => fail(`the holder did not say ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(error.message, error));
    child.once('exit', (code, signal) => fail(`the holder exited (${signal ?? `code ${code}`})`));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const ready = /^ready (\d+)\n/m.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.on('error', () => undefined);
      resolve(Number(ready[1]));
    });
  });
}

/** One request on the holder's control socket; throws with its answer unless `ok`. */
function control(path: string, request: string, sessionUuid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let answer = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        reject(
          new RuntimeError('BERTH_RUNTIME_FORWARDER_FAILED', { sessionUuid, request, reason: error.message }, {
            cause: error,
            details: { sessionUuid, request },
          }),
        );
      } else resolve();
    };
    const timer = setTimeout(() => done(new Error('no answer within 10 s')), 10_000);
    socket.setEncoding('utf8');
    socket.once('error', (error) => done(error));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (!answer.includes('\n')) return;
      const line = answer.trim();
      done(line === 'ok' ? undefined : new Error(line));
    });
    socket.write(`${request}\n`);
  });
}
