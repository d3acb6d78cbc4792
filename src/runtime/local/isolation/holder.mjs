// A session's namespace holder (docs/runtimes/local.md, "Isolated sessions"). Plain JavaScript, no
// tsx: it starts for every session and must start fast. Two processes of one process group:
//
// outer (on the host): `holder.mjs <dir> <hosts file> <unshare argv…>` starts the inner one under
//   unshare and serves <dir>/outward: a connection's first line names a host port on 127.0.0.1, the
//   rest is piped to it (the way out for steps that call Berth's API). When slirp4netns is installed
//   it attaches it to the inner namespace (outbound network, NAT, no access to the host's loopback);
//   its outcome is the first line of <dir>/network. Prints `ready <inner pid>`.
// inner (under `unshare --net --mount`): `holder.mjs --inside <dir> <hosts file>` keeps the session's
//   namespaces alive (services, steps and exec join them with nsenter), brings loopback up,
//   bind-mounts <hosts file> over /etc/hosts in its private mount namespace, and serves <dir>/control:
//   - `listen <port>`: <dir>/<port> becomes a Unix socket piped to 127.0.0.1:<port> inside, and
//     <dir>/<port>.probe one that answers `ok` or `refused <code>` after connecting to that port inside
//     (readiness: a listener proven without the forwarder's accept in between);
//   - `outward <port>`: 127.0.0.1:<port> inside is piped out through <dir>/outward to the host's port.
//   Answers `ok` or `error <why>`.
// SIGTERM/SIGINT: every socket closed, socket files removed, exit 0 (Berth signals the whole group).
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const inside = process.argv[2] === '--inside';
const [dir, hostsFile, ...unshareArgv] = process.argv.slice(inside ? 3 : 2);
if (!dir || !hostsFile) fail('usage: holder.mjs [--inside] <dir> <hosts file> [unshare argv…]');
// Sockets on disk are the session's only way in: only Berth's own user may connect.
process.umask(0o077);

function fail(message) {
  process.stderr.write(`berth holder: ${message}\n`);
  process.exit(1);
}

function run(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error) fail(`${argv.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) fail(`${argv.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
}

function runInside() {
  run(['ip', 'link', 'set', 'lo', 'up']);
  run(['mount', '--bind', hostsFile, '/etc/hosts']);

  const forwarders = new Map();

  function pipeConnection(client, port) {
    joinSockets(client, connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
  }

  function probeConnection(client, port) {
    client.on('error', () => client.destroy());
    const upstream = connect({ host: '127.0.0.1', port });
    upstream.once('connect', () => {
      upstream.destroy();
      client.end('ok\n');
    });
    upstream.once('error', (error) => client.end(`refused ${error.code ?? error.message}\n`));
  }

  function serve(path, handler) {
    rmSync(path, { force: true }); // a file left by an earlier holder of this session
    const server = createServer({ allowHalfOpen: true }, handler);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve(server));
    });
  }

  function listen(port) {
    if (!forwarders.has(port)) {
      const path = join(dir, String(port));
      forwarders.set(
        port,
        Promise.all([serve(path, (client) => pipeConnection(client, port)), serve(`${path}.probe`, (client) => probeConnection(client, port))]).catch((error) => {
          forwarders.delete(port);
          throw error;
        }),
      );
    }
    return forwarders.get(port);
  }

  const outwards = new Map();

  /** 127.0.0.1:<port> inside, piped to the same port on the host through the outer process. */
  function outward(port) {
    if (outwards.has(port)) return Promise.resolve();
    const server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = connect({ path: join(dir, 'outward'), allowHalfOpen: true });
      upstream.write(`${port}\n`);
      joinSockets(client, upstream);
    });
    outwards.set(port, server);
    return new Promise((resolve, reject) => {
      server.once('error', (error) => {
        outwards.delete(port);
        reject(error);
      });
      server.listen({ host: '127.0.0.1', port }, resolve);
    });
  }

  const control = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const match = /^(listen|outward) (\d{1,5})$/.exec(line);
        const port = match ? Number(match[2]) : 0;
        if (!match || port < 1 || port > 65535) {
          socket.write(`error bad request "${line}"\n`);
          continue;
        }
        (match[1] === 'listen' ? listen(port) : outward(port)).then(
          () => socket.write('ok\n'),
          (error) => socket.write(`error ${error.message}\n`),
        );
      }
    });
  });

  const controlPath = join(dir, 'control');
  rmSync(controlPath, { force: true });
  control.once('error', (error) => fail(`cannot listen on ${controlPath}: ${error.message}`));
  control.listen(controlPath, () => {
    process.stdout.write(`ready ${process.pid}\n`);
  });

  function shutdown() {
    control.close();
    rmSync(controlPath, { force: true });
    for (const port of forwarders.keys()) {
      rmSync(join(dir, String(port)), { force: true });
      rmSync(join(dir, `${port}.probe`), { force: true });
    }
    for (const server of outwards.values()) server.close();
    process.exit(0);
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** The outer process: starts the inner one in new namespaces and lets it reach host ports. */
function runOutside() {
  const outwardPath = join(dir, 'outward');
  rmSync(outwardPath, { force: true });
  const server = createServer({ allowHalfOpen: true }, (client) => {
    let head = Buffer.alloc(0);
    client.on('error', () => client.destroy());
    client.on('data', function readHeader(chunk) {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) {
        if (head.length > 16) client.destroy();
        return;
      }
      client.removeListener('data', readHeader);
      client.pause();
      const port = Number(head.subarray(0, newline).toString());
      if (!Number.isInteger(port) || port < 1 || port > 65535) return client.destroy();
      const upstream = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) upstream.write(rest);
      joinSockets(client, upstream);
      client.resume();
    });
  });
  server.once('error', (error) => fail(`cannot listen on ${outwardPath}: ${error.message}`));
  server.listen(outwardPath, () => {
    const [file, ...args] = unshareArgv;
    const child = spawn(file, [...args, process.execPath, process.argv[1], '--inside', dir, hostsFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', (error) => fail(`cannot start ${file}: ${error.message}`));
    child.once('exit', (code, signal) => {
      server.close();
      rmSync(outwardPath, { force: true });
      fail(`the namespace process exited (${signal ?? `code ${code}`})`);
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', function awaitReady(chunk) {
      output += chunk;
      const ready = /^ready (\d+)\n/m.exec(output);
      if (!ready) return;
      child.stdout.removeListener('data', awaitReady);
      attachNetwork(Number(ready[1])).then((outcome) => {
        writeFileSync(join(dir, 'network'), `${outcome}\n`);
        process.stdout.write(ready[0]);
      });
    });
  });
  const shutdown = () => {
    server.close();
    rmSync(outwardPath, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * slirp4netns gives the namespace a tap device with NAT to the outside (as rootless Podman does);
 * `--disable-host-loopback` keeps the host's own 127.0.0.1 out of reach. Resolves with what happened.
 */
function attachNetwork(pid) {
  return new Promise((resolve) => {
    const args = ['--configure', '--mtu=65520', '--disable-host-loopback', '--ready-fd=3', String(pid), 'tap0'];
    const slirp = spawn('slirp4netns', args, { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    const timer = setTimeout(() => settle('none: slirp4netns did not get ready within 5 s'), 5_000);
    function settle(outcome) {
      clearTimeout(timer);
      slirp.stdio[3]?.destroy();
      resolve(outcome);
    }
    slirp.once('error', (error) => settle(error.code === 'ENOENT' ? 'none: slirp4netns is not installed' : `none: slirp4netns: ${error.message}`));
    slirp.once('exit', (code) => settle(`none: slirp4netns exited with code ${code} (see holder.log)`));
    slirp.stdio[3]?.once('data', () => {
      slirp.removeAllListeners('exit');
      settle('slirp4netns');
    });
  });
}

function joinSockets(client, upstream) {
  const destroyBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

// Berth reads `ready` and closes its end: a later write must not kill the holder.
process.stdout.on('error', () => undefined);
if (inside) runInside();
else runOutside();
