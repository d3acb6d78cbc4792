/**
 * pods/exec over WebSocket as the API server speaks it: channel 0 stdin, 1 stdout, 2 stderr, 3
 * the final Status. `v5.channel.k8s.io` (preferred when the client offers it, as the API server
 * does since 1.30) adds the close signal, a frame `[255, channel]` with which the client
 * half-closes stdin; the server closes the socket after the Status and sends no close signal
 * of its own (client-node's Exec would throw "Unknown stream: 255" on one).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export type ExecAnswer = { output: string; exitCode: number; stderr?: string } | { error: string };

export interface ExecSocketOptions {
  authorized(req: IncomingMessage): boolean;
  /** Records the request (the fake's `requests`). */
  record(req: IncomingMessage): void;
  podExists(pod: string): boolean;
  answer(pod: string, command: string[]): ExecAnswer;
  /** Tells the test which protocol was agreed on. */
  onProtocol(protocol: string): void;
  /** The client half-closed stdin (`[255, 0]`); `valid` is false on v4, where the signal does not exist. */
  onStdinClosed?(valid: boolean): void;
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE = 255;

function frame(channel: number, text: string): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
}

function finalStatus(answer: ExecAnswer, command: string[]): Record<string, unknown> {
  if ('error' in answer) return { metadata: {}, status: 'Failure', message: answer.error, reason: 'InternalError', code: 500 };
  if (answer.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${answer.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(answer.exitCode) }] },
  };
}

export function attachExec(server: Server, options: ExecSocketOptions): WebSocketServer {
  const sockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });
  server.on('upgrade', function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    options.record(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/api\/v1\/namespaces\/[^/]+\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!match || !options.authorized(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const pod = match[1] ?? '';
    const command = url.searchParams.getAll('command');
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const v5 = ws.protocol === 'v5.channel.k8s.io';
      options.onProtocol(ws.protocol);
      ws.on('message', (data: Buffer) => {
        // The close signal is only v5's: on v4 a 255 frame is a protocol error.
        if (data[0] === CLOSE && data.length === 2) options.onStdinClosed?.(v5);
      });
      const answer = options.podExists(pod) ? options.answer(pod, command) : { error: `pods "${pod}" not found` };
      if (!('error' in answer)) {
        if (answer.output) ws.send(frame(1, answer.output));
        if (answer.stderr) ws.send(frame(2, answer.stderr));
      }
      ws.send(frame(3, JSON.stringify(finalStatus(answer, command))));
      ws.close();
    });
  });
  return sockets;
}
