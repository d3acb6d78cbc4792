// Bench upstream: a WebSocket echo server on 127.0.0.1:<argv[2]>, any path.
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });
server.on('connection', function echo(socket) {
  socket.on('message', (data, binary) => socket.send(data, { binary }));
});
server.on('listening', () => process.stdout.write('listening\n'));
