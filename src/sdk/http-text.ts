/**
 * One HTTP request on node:http(s), with the whole answer as text. BerthClient's calls use it
 * rather than the global fetch: Node 20 loads fetch's implementation (undici and web streams) on
 * first use, which cost each CLI command over 40 MB and most of its start-up time (docs/architecture.md,
 * "CLI speed"). Streams (logs --follow) still use fetch.
 */
import type { IncomingMessage, RequestOptions } from 'node:http';

export interface TextResponse {
  status: number;
  ok: boolean;
  text: string;
}

export interface TextRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Rejects with the transport's own error (refused, reset, DNS) when no answer arrives. */
export async function requestText(url: string, init: TextRequest): Promise<TextResponse> {
  const target = new URL(url);
  // TLS is loaded only for https servers: a local server's CLI never pays for it.
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) };
  const options: RequestOptions = { method: init.method, headers };
  return new Promise<TextResponse>((resolve, reject) => {
    const req = request(target, options, function onResponse(res: IncomingMessage) {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
