// Bench client: sequential round trips of a 32-byte message over one WebSocket; prints
// {p50Us, p99Us, messages} as JSON. argv: URL, message count.
import WebSocket from 'ws';

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 3000);
const warmup = Math.min(500, Math.floor(count / 5));
const payload = Buffer.alloc(32, 97);
const socket = new WebSocket(url, { perMessageDeflate: false });
const samples = [];
let sentAt = 0n;
let seen = 0;

function send() {
  sentAt = process.hrtime.bigint();
  socket.send(payload);
}

socket.on('open', send);
socket.on('message', function roundTrip() {
  const us = Number(process.hrtime.bigint() - sentAt) / 1000;
  if (seen++ >= warmup) samples.push(us);
  if (seen < count + warmup) return send();
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  process.stdout.write(`${JSON.stringify({ p50Us: at(0.5), p99Us: at(0.99), messages: samples.length })}\n`);
  socket.close();
});
socket.on('error', (error) => {
  process.stderr.write(`ws-rtt: ${error.message}\n`);
  process.exit(1);
});
