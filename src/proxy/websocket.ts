/**
 * WebSocket (and any HTTP/1.1 Upgrade) tunnelling. The upstream handshake happens first; only its
 * answer goes back to the client, so no message can be sent into a tunnel that does not exist yet
 * (jupyter-server-proxy's early-traffic loss). Every way a tunnel can end destroys both sockets:
 * CHP leaked sockets for years through error paths that did not (reference A.3).
 */
import { request, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyRoute } from './route-table.ts';
import { downstreamHeaders, upstreamHeaders, withoutBerthCookies, type HeaderPolicy } from './headers.ts';
import { unreachablePage, writeRawPage } from './pages.ts';

/** node:http's createConnection over an async connect: the socket arrives through `oncreate`. */
function createConnectionWith(connect: () => Promise<Socket>): ClientRequestArgs['createConnection'] {
  return function createUpstreamConnection(_options: ClientRequestArgs, oncreate: (error: Error | null, socket: Socket) => void): Socket {
    connect().then(
      (socket) => oncreate(null, socket),
      (error: Error) => oncreate(error, undefined as unknown as Socket),
    );
    // node:http waits for oncreate when nothing is returned (its types say a Socket is).
    return undefined as unknown as Socket;
  };
}

export interface Tunnels {
  add(destroy: () => void): void;
  delete(destroy: () => void): void;
}

export function tunnelUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: ProxyRoute,
  path: string,
  tunnels: Tunnels,
  policy: HeaderPolicy = {},
): void {
  const target = route.target!;
  const upstream = request({
    ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
    method: req.method,
    path,
    headers: upstreamHeaders(req, { ...policy, route, upgrade: true }),
    // An upgraded socket leaves any pool, so a fresh connection is all a pool could give. (node:http
    // uses createConnection only without an agent: `agent: false` would make one of its own.)
    ...(target.connect ? { createConnection: createConnectionWith(target.connect) } : { agent: false }),
  });

  // The server socket allows half-open connections, so a client that gives up may only send FIN
  // ('end'): without destroying it here the socket would stay open forever.
  function clientClosedEarly(): void {
    upstream.destroy();
    socket.destroy();
  }
  function stopWatchingClient(): void {
    socket.removeListener('close', clientClosedEarly);
    socket.removeListener('end', clientClosedEarly);
  }
  socket.once('close', clientClosedEarly);
  socket.once('end', clientClosedEarly);

  upstream.on('upgrade', function upstreamUpgraded(upstreamRes: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) {
    stopWatchingClient();
    upstreamSocket.on('error', destroyBoth);
    if (socket.destroyed) {
      upstreamSocket.destroy();
      return;
    }
    // The 101 is relayed as sent (its Connection/Upgrade/Sec-WebSocket-* headers are the handshake),
    // except Set-Cookie for Berth's cookies: browsers store cookies from a handshake too.
    socket.write(responseHead(upstreamRes, withoutBerthCookies(upstreamRes.rawHeaders)));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    (socket as Socket).setNoDelay?.(true);
    upstreamSocket.setNoDelay(true);
    tunnels.add(destroyBoth);
    upstreamSocket.on('close', destroyBoth);
    socket.on('close', destroyBoth);
    upstreamSocket.pipe(socket);
    socket.pipe(upstreamSocket);

    function destroyBoth(): void {
      tunnels.delete(destroyBoth);
      socket.destroy();
      upstreamSocket.destroy();
    }
  });

  upstream.on('response', function upstreamRefusedUpgrade(upstreamRes: IncomingMessage) {
    // E.g. Jupyter's 403 on a bad Origin: the client gets that answer, then the connection closes.
    stopWatchingClient();
    upstreamRes.on('error', () => socket.destroy());
    const giveUp = () => {
      upstreamRes.destroy();
      socket.destroy();
    };
    socket.on('close', giveUp);
    socket.on('end', giveUp);
    if (socket.destroyed) return void upstreamRes.destroy();
    const headers = downstreamHeaders(upstreamRes.rawHeaders, route, req.headers.host);
    headers.push('Connection', 'close');
    socket.write(responseHead(upstreamRes, headers));
    upstreamRes.pipe(socket, { end: false });
    upstreamRes.on('end', () => socket.end(() => socket.destroy()));
  });

  upstream.on('error', function upstreamError(error) {
    stopWatchingClient();
    writeRawPage(req, socket, unreachablePage(route, error));
  });

  upstream.end();
}

function responseHead(res: IncomingMessage, rawHeaders: string[]): string {
  let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}
