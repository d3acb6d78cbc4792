/**
 * The "isolated local service" row of bench/proxy: the same nginx upstream and WS echo, started
 * inside a session namespace of the local runtime (its holder, holder.mjs), beside the `berth` row
 * that reaches them on host ports. The proxy reaches them as `berth serve` does, with sockets its
 * session dialer connects inside (dialer.ts); the "via forwarder" row goes through the holder's
 * Unix-socket forwarders instead. The holder's inner process (the forwarder) is measured with the
 * proxy and pinned to its core; the dialer is the proxy's child and inherits both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionNamespaces } from '../../src/runtime/local/isolation/holder.ts';
import { resolveIsolation } from '../../src/runtime/local/isolation/mode.ts';
import { ROOT, HTTP_PREFIX, WS_PREFIX, freePort, startProcess, stopChild, type Started } from './peers.ts';

const SESSION = 'bench-isolated';

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/small.txt' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** `via`: the session's dialer (what `berth serve` uses) or the holder's Unix-socket forwarder. */
export async function startBerthIsolated(dir: string, filesDir: string, upstreamPort: number, wsPort: number, via: 'dialer' | 'forwarder'): Promise<Started> {
  const namespaces = new SessionNamespaces(join(dir, 'isolated'), resolveIsolation('namespace', 'bench/proxy'));
  const holder = await namespaces.ensure(SESSION);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
    await namespaces.remove(SESSION, 2_000);
  };
  try {
    for (const pid of [holder.pid, holder.nsPid]) spawnSync('taskset', ['-p', '-c', '1', String(pid)], { stdio: 'ignore' });
    const enter = namespaces.enterArgv(holder, dir);
    // The same ports as the host's upstreams: the session has its own loopback.
    const conf = join(dir, 'upstream-isolated.conf');
    await writeFile(
      conf,
      `worker_processes 1;
pid ${join(dir, 'upstream-isolated.pid')};
error_log ${join(dir, 'upstream-isolated-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `upstream-isolated-${t}`)};`).join('\n')}
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${upstreamPort};
    root ${filesDir};
  }
}
`,
    );
    children.push(spawn(enter[0]!, [...enter.slice(1), 'nginx', '-p', dir, '-c', conf, '-g', 'daemon off; user root;'], { stdio: 'ignore' }));
    children.push(await startProcess([...enter, process.execPath, join(ROOT, 'bench/proxy/ws-echo.mjs'), String(wsPort)], { ready: /listening/ }));
    await namespaces.listen(SESSION, [upstreamPort, wsPort]);
    const httpSocket = namespaces.socketPath(SESSION, upstreamPort);
    for (let i = 0; !(await answers(httpSocket)); i += 1) {
      if (i > 100) throw new Error(`the isolated nginx does not answer through ${httpSocket}`);
      await sleep(50);
    }
    const port = await freePort();
    const proxy = await startProcess(
      [
        'taskset', '-c', '1', process.execPath, '--import', 'tsx', join(ROOT, 'bench/proxy/isolated-proxy-child.ts'), '--port', String(port),
        '--route', `${HTTP_PREFIX}=http://127.0.0.1:${upstreamPort}`, '--socket', `${HTTP_PREFIX}=${httpSocket}`,
        '--route', `${WS_PREFIX}=http://127.0.0.1:${wsPort}`, '--socket', `${WS_PREFIX}=${namespaces.socketPath(SESSION, wsPort)}`,
        ...(via === 'dialer' ? ['--dial', `${join(dir, 'isolated')}:${SESSION}`] : []),
      ],
      { ready: /listening on/, env: { ...process.env, NO_COLOR: '1' } },
    );
    children.push(proxy);
    return {
      name: via === 'dialer' ? 'isolated local service' : 'isolated, via forwarder',
      httpBase: `http://127.0.0.1:${port}${HTTP_PREFIX}`,
      wsUrl: `ws://127.0.0.1:${port}${WS_PREFIX}/`,
      ...(proxy.pid === undefined ? {} : { pid: proxy.pid }),
      extraPids: [holder.nsPid],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
