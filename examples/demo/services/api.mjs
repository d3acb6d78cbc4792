// hello-api: a tiny HTTP + WebSocket echo service with only node: built-ins.
//
// It runs behind Berth's proxy with preserve_base_path, so requests arrive with the service's base
// path in front (BASE_PATH, filled from $BASE_PATH_PREFIX_3000). Readiness probes hit the port
// directly without it, so both forms are accepted.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

const port = Number(process.env.PORT ?? 3000);
const basePath = normaliseBasePath(process.env.BASE_PATH ?? '');

function normaliseBasePath(value) {
  // Kubernetes-era Orchest substituted the prefix without a leading slash; accept both.
  if (!value || value.startsWith('$')) return '';
  const withSlash = value.startsWith('/') ? value : `/${value}`;
  return withSlash.replace(/\/+$/, '');
}

function localPath(url) {
  const pathname = new URL(url, 'http://localhost').pathname;
  if (basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`))) {
    return pathname.slice(basePath.length) || '/';
  }
  return pathname;
}

const page = `<!doctype html>
<meta charset="utf-8">
<title>hello-api</title>
<h1>hello-api</h1>
<p>Type something, the WebSocket echoes it back.</p>
<input id="text" value="hello"> <button id="send">send</button>
<pre id="log"></pre>
<script>
  const log = (line) => { document.getElementById('log').textContent += line + '\\n'; };
  const url = new URL('ws', location.href.endsWith('/') ? location.href : location.href + '/');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.onopen = () => log('connected');
  ws.onmessage = (event) => log('echo: ' + event.data);
  ws.onclose = () => log('closed');
  document.getElementById('send').onclick = () => ws.send(document.getElementById('text').value);
</script>
`;

const server = createServer(function handleRequest(req, res) {
  const path = localPath(req.url ?? '/');
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  } else if (path === '/api/hello') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'hello from hello-api', basePath, time: new Date().toISOString() }));
  } else if (path === '/' || path === '') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: ${path}\n`);
  }
});

// Minimal RFC 6455 server side: handshake, then echo text frames back (small and medium payloads).
server.on('upgrade', function handleUpgrade(req, socket) {
  const key = req.headers['sec-websocket-key'];
  if (localPath(req.url ?? '/') !== '/ws' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  socket.on('data', function onData(chunk) {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const frame = readFrame(buffered);
      if (!frame) return;
      buffered = buffered.subarray(frame.length);
      if (frame.opcode === 0x8) {
        socket.end(encodeFrame(0x8, Buffer.alloc(0)));
        return;
      }
      if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload));
      if (frame.opcode === 0x1 || frame.opcode === 0x2) socket.write(encodeFrame(frame.opcode, frame.payload));
    }
  });
  socket.on('error', () => socket.destroy());
});

function readFrame(buffer) {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0] & 0x0f;
  const masked = (buffer[1] & 0x80) !== 0;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskLength = masked ? 4 : 0;
  if (buffer.length < offset + maskLength + length) return undefined;
  const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
  const payload = Buffer.from(buffer.subarray(offset + maskLength, offset + maskLength + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { opcode, payload, length: offset + maskLength + length };
}

function encodeFrame(opcode, payload) {
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}

server.listen(port, '0.0.0.0', () => {
  console.log(`hello-api listening on port ${port} (base path ${basePath || '/'})`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
