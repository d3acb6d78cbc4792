// Bench peer: a bare http-proxy-3 proxy with a keep-alive agent, routing the same two prefixes as
// the others (prefix stripped). argv: listen port, http upstream port, ws upstream port.
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const [port, httpPort, wsPort] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024 });
const proxy = createProxyServer({ agent, xfwd: true });
proxy.on('error', (error, _req, res) => {
  if (res && 'writeHead' in res && !res.headersSent) {
    res.writeHead(502);
    res.end(String(error));
  } else res?.destroy?.();
});
const HTTP_PREFIX = '/service-bench-x_80';
const WS_PREFIX = '/service-ws-x_9000';

function route(req) {
  if (req.url.startsWith(HTTP_PREFIX)) return { prefix: HTTP_PREFIX, target: `http://127.0.0.1:${httpPort}` };
  if (req.url.startsWith(WS_PREFIX)) return { prefix: WS_PREFIX, target: `http://127.0.0.1:${wsPort}` };
  return undefined;
}

const server = http.createServer((req, res) => {
  const found = route(req);
  if (!found) return void res.writeHead(404).end();
  req.url = req.url.slice(found.prefix.length) || '/';
  proxy.web(req, res, { target: found.target });
});
server.on('upgrade', (req, socket, head) => {
  const found = route(req);
  if (!found) return void socket.destroy();
  req.url = req.url.slice(found.prefix.length) || '/';
  proxy.ws(req, socket, head, { target: found.target });
});
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
