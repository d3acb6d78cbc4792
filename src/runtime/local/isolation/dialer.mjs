// A session's dialer (docs/runtimes/local.md, "How the proxy reaches an isolated service"). Started
// by Berth's server under `nsenter --net` into the session's network namespace, with a Node IPC
// channel to the server. Asked `{ id, port }`, it connects to 127.0.0.1:<port> inside the namespace
// and sends the connected socket itself back over the channel (SCM_RIGHTS): the server then talks
// to the service on a plain kernel TCP connection, with no process copying bytes in between.
// Plain JavaScript, no tsx: it starts on a session's first proxied connection and must start fast.
//
// argv: `dialer.mjs <idle ms>`. Exits when the server goes (the channel closes) and after <idle ms>
// with no request: sockets already handed over live on in the server, so an idle dialer costs
// nothing to let go, and the next connection starts a new one.
import { connect } from 'node:net';

if (typeof process.send !== 'function') {
  process.stderr.write('berth dialer: no IPC channel (it is started by Berth, not by hand)\n');
  process.exit(2);
}

const idleMs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 60_000;
let idleTimer;

function keepAlive() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => process.disconnect(), idleMs);
}

function reply(message, socket) {
  if (!process.connected) return socket?.destroy();
  // keepOpen false: once the server has the socket, this process closes its own copy.
  process.send(message, socket, { keepOpen: false }, (error) => {
    if (error) socket?.destroy();
  });
}

process.on('message', function dial(message) {
  keepAlive();
  const { id, port } = message ?? {};
  if (!Number.isInteger(id) || !Number.isInteger(port) || port < 1 || port > 65535) return reply({ id, error: 'EINVAL' });
  const socket = connect({ host: '127.0.0.1', port });
  // Not a byte is read here: what a service sends first (a banner, a greeting) waits in the kernel
  // for the server, which owns the socket from now on.
  socket.pause();
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    reply({ id }, socket);
  });
  socket.once('error', (error) => reply({ id, error: error.code ?? error.message }));
});

process.on('disconnect', () => process.exit(0));
keepAlive();
