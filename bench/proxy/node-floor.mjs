// Bench reference: a bare Node http server answering the same 100-byte and 64 KiB bodies itself,
// pinned like the proxies. No Node proxy on one core can beat it: it is the ceiling for Berth.
// argv: listen port.
import http from 'node:http';

const small = Buffer.from(`${'berth proxy bench '.repeat(5)}1234567890\n`.slice(0, 100));
const large = Buffer.alloc(64 * 1024, 120);
const server = http.createServer((req, res) => {
  const body = req.url.endsWith('/64k.bin') ? large : small;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
