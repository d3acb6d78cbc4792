/**
 * Serves the built web UI (web/dist) from the same origin as the API and the proxy, so the
 * session cookie covers all three and service links need no CORS.
 *
 * - Hashed files under /assets/ never change: cached for a year, immutable.
 * - Everything else (index.html, favicon) is revalidated on every load (ETag), so a rebuilt UI
 *   shows up on the next reload.
 * - Any other GET that is not under /api/ falls back to index.html: the UI routes client-side.
 * - When web/dist is missing, a plain page says how to build it instead of a bare 404.
 *
 * Service paths (/service-…, /pbp-service-…) never reach Fastify: the proxy takes them first.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { installPath } from '../shared/index.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { UI_SCHEMA, type UiParams } from './api-schemas.ts';
import { API_CODES } from './codes.ts';
import { ApiError } from './errors.ts';

export interface UiOptions {
  /** Directory holding the built UI; default: web/dist of this checkout. */
  distDir?: string;
}

export const DEFAULT_UI_DIR = installPath('web', 'dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Paths the UI must never answer with index.html: a JSON client expects JSON errors there. */
const NOT_UI = /^\/(api|service-|pbp-service-)/;

export function registerUi(app: FastifyInstance, options: UiOptions = {}): void {
  const root = resolve(options.distDir ?? DEFAULT_UI_DIR);

  app.get<{ Params: UiParams }>('/*', { schema: UI_SCHEMA }, async function serveUi(request, reply) {
    const pathname = decodeSafely(request.url.split('?')[0] ?? '/');
    if (pathname === null) return reply.code(400).type('text/plain').send('bad URL encoding');
    if (NOT_UI.test(pathname)) {
      const error = new ApiError('BERTH_API_NOT_FOUND', { method: request.method, path: pathname });
      return reply.code(API_CODES.BERTH_API_NOT_FOUND.status).send({ error: error.toJSON() });
    }
    const asset = await findFile(root, pathname);
    if (asset) return sendFile(reply, asset, request.headers['if-none-match']);
    const index = await findFile(root, '/index.html');
    if (!index) return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(notBuiltPage(root));
    // A missing hashed asset is a stale tab after a rebuild: a 404 lets the browser say so, index.html would not.
    if (pathname.startsWith('/assets/')) return reply.code(404).type('text/plain').send(`no such asset ${pathname}`);
    return sendFile(reply, index, request.headers['if-none-match']);
  });
}

interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
  immutable: boolean;
}

async function findFile(root: string, pathname: string): Promise<FoundFile | null> {
  if (pathname.endsWith('/')) return null;
  const path = normalize(join(root, pathname));
  if (path !== root && !path.startsWith(root + sep)) return null; // `..` escapes stay out
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    return { path, size: info.size, mtimeMs: info.mtimeMs, immutable: pathname.startsWith('/assets/') };
  } catch {
    return null;
  }
}

async function sendFile(reply: FastifyReply, file: FoundFile, ifNoneMatch: string | undefined): Promise<FastifyReply> {
  const etag = `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  reply.header('etag', etag);
  reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('x-content-type-options', 'nosniff');
  if (ifNoneMatch === etag) return reply.code(304).send();
  reply.type(CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream');
  return reply.send(await readFile(file.path));
}

function decodeSafely(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

function notBuiltPage(root: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Berth: UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}
code{background:#f0f2f5;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The Berth web UI is not built</h1>
<p>Berth is running and its API answers at <a href="/api/health"><code>/api/health</code></a>, but there is no
built UI in <code>${escapeHtml(root)}</code>.</p>
<p>Build it from the Berth checkout with <code>npm run build:web</code> (or start with <code>npm start</code>, which
builds it when it is missing), then reload this page.</p>
<p>The <code>berth</code> CLI works without the UI.</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
