/**
 * The systems bench/proxy compares, each started as its own process(es) on a free port: the nginx
 * upstream, the WS echo upstream, and the proxies (nginx, bare http-proxy-3, CHP, Berth), each
 * pinned to core 1 while wrk runs on core 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HTTP_PREFIX = '/service-bench-x_80';
export const WS_PREFIX = '/service-ws-x_9000';

export interface Started {
  name: string;
  /** Base URL under which `/small.txt` etc. reach the nginx upstream. */
  httpBase: string;
  /** WebSocket URL reaching the echo server. */
  wsUrl: string;
  /** The process whose CPU and memory are measured (with its children). */
  pid?: number;
  /** More processes measured with it (the isolated row: the holder forwarding into the session). */
  extraPids?: number[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Spawns and waits until `ready` matches its output or the port accepts connections. */
export function startProcess(argv: string[], options: { ready: RegExp; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd ?? ROOT });
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${argv.join(' ')} did not start in 30 s:\n${output}`)), 30_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    function onData(data: Buffer): void {
      output += data.toString();
      if (options.ready.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => fail(new Error(`${argv.join(' ')} exited with ${code}:\n${output}`)));
    child.on('error', fail);
  });
}

export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 30 s`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function nginxCommon(dir: string, name: string): string {
  return `worker_processes 1;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}-error.log`)} warn;
events { worker_connections 4096; }
`;
}

function nginxTemps(dir: string, name: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${name}-${t}`)};`).join('\n');
}

/** The upstream every proxy forwards to: nginx serving static files, tuned not to be the bottleneck. */
export async function startUpstream(dir: string, filesDir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'upstream.conf');
  await writeFile(
    conf,
    `${nginxCommon(dir, 'upstream')}
http {
  access_log off;
${nginxTemps(dir, 'upstream')}
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port};
    root ${filesDir};
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off; user root;'], { stdio: 'ignore' });
  await waitForPort(port);
  return { port, child };
}

export async function startNginxProxy(dir: string, upstreamPort: number, wsPort: number): Promise<Started> {
  const port = await freePort();
  const conf = join(dir, 'proxy.conf');
  await writeFile(
    conf,
    `${nginxCommon(dir, 'proxy')}
http {
  access_log off;
${nginxTemps(dir, 'proxy')}
  upstream files { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 1000000; }
  upstream echo { server 127.0.0.1:${wsPort}; }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location ${HTTP_PREFIX}/ {
      proxy_pass http://files/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      client_max_body_size 0;
    }
    location ${WS_PREFIX}/ {
      proxy_pass http://echo/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 86400;
    }
  }
}
`,
  );
  const child = spawn('taskset', ['-c', '1', 'nginx', '-p', dir, '-c', conf, '-g', 'daemon off; user root;'], { stdio: 'ignore' });
  await waitForPort(port);
  return proxyStarted('nginx', port, child);
}

function proxyStarted(name: string, port: number, child: ChildProcess): Started {
  return {
    name,
    httpBase: `http://127.0.0.1:${port}${HTTP_PREFIX}`,
    wsUrl: `ws://127.0.0.1:${port}${WS_PREFIX}/`,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    stop: () => stopChild(child),
  };
}

export async function startHttpProxy3(upstreamPort: number, wsPort: number): Promise<Started> {
  const port = await freePort();
  const script = join(ROOT, 'bench/proxy/http-proxy-3-server.mjs');
  const child = await startProcess(['taskset', '-c', '1', process.execPath, script, String(port), String(upstreamPort), String(wsPort)], { ready: /listening/ });
  return proxyStarted('http-proxy-3', port, child);
}

export async function startChp(upstreamPort: number, wsPort: number): Promise<Started> {
  const port = await freePort();
  const apiPort = await freePort();
  const token = 'bench-token';
  const bin = join(ROOT, 'node_modules/configurable-http-proxy/bin/configurable-http-proxy');
  const child = spawn(
    'taskset',
    ['-c', '1', process.execPath, bin, '--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--no-include-prefix', '--log-level', 'error'],
    { stdio: 'ignore', env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: token } },
  );
  await waitForPort(apiPort);
  for (const [prefix, target] of [
    [HTTP_PREFIX, `http://127.0.0.1:${upstreamPort}`],
    [WS_PREFIX, `http://127.0.0.1:${wsPort}`],
  ] as const) {
    const response = await fetch(`http://127.0.0.1:${apiPort}/api/routes${prefix}`, {
      method: 'POST',
      headers: { Authorization: `token ${token}` },
      body: JSON.stringify({ target }),
    });
    if (response.status !== 201) throw new Error(`CHP refused route ${prefix}: ${response.status} ${await response.text()}`);
  }
  return proxyStarted('configurable-http-proxy', port, child);
}

/** Berth's proxy through its CLI (`bin/berth.mjs proxy`), or with `script` the test fixture running the same code. */
export async function startBerth(upstreamPort: number, wsPort: number, entry: 'cli' | 'script'): Promise<Started> {
  const port = await freePort();
  const routes = ['--route', `${HTTP_PREFIX}=http://127.0.0.1:${upstreamPort}`, '--route', `${WS_PREFIX}=http://127.0.0.1:${wsPort}`];
  const argv =
    entry === 'cli'
      ? [process.execPath, join(ROOT, 'bin/berth.mjs'), 'proxy', '--port', String(port), ...routes]
      : [process.execPath, '--import', 'tsx', join(ROOT, 'src/proxy/fixtures/proxy-child.ts'), '--port', String(port), ...routes];
  const child = await startProcess(['taskset', '-c', '1', ...argv], { ready: /listening on/, env: { ...process.env, NO_COLOR: '1' } });
  return proxyStarted('berth', port, child);
}

/** Not a proxy: a bare Node server answering itself, pinned like the proxies (the Node ceiling). */
export async function startNodeFloor(): Promise<Started> {
  const port = await freePort();
  const child = await startProcess(['taskset', '-c', '1', process.execPath, join(ROOT, 'bench/proxy/node-floor.mjs'), String(port)], { ready: /listening/ });
  return { name: 'node-floor', httpBase: `http://127.0.0.1:${port}/x`, wsUrl: '', ...(child.pid === undefined ? {} : { pid: child.pid }), stop: () => stopChild(child) };
}
