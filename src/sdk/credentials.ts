/**
 * Where a client finds its server and token, first match wins:
 *   1. BERTH_URL + BERTH_TOKEN (steps and services get these; scripts may set them),
 *   2. the credentials file `berth login` wrote (`$XDG_CONFIG_HOME/berth/credentials.json`),
 *   3. a local server's `<data-dir>/cli-token`, for loopback URLs only.
 * A token is only ever sent to the URL it was saved for.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ApiClientError } from './client.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8765';

export interface ResolvedCredentials {
  url: string;
  token?: string;
  /** Where the token came from, for `--verbose` output and error hints. */
  source: string;
}

interface CredentialsFile {
  version: 1;
  /** The server `berth login` talked to last: used when no URL is given. */
  current: string;
  servers: { url: string; token: string; savedAt: string }[];
}

export function credentialsPath(): string {
  const base = process.env.XDG_CONFIG_HOME ? resolve(process.env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(base, 'berth', 'credentials.json');
}

export function defaultDataDir(): string {
  return process.env.BERTH_DATA_DIR ? resolve(process.env.BERTH_DATA_DIR) : join(homedir(), '.berth');
}

export function resolveCredentials(options: { url?: string; dataDir?: string } = {}): ResolvedCredentials {
  const wanted = options.url === undefined ? undefined : normaliseUrl(options.url, '--url');
  const envUrl = process.env.BERTH_URL ? normaliseUrl(process.env.BERTH_URL, 'BERTH_URL') : undefined;
  const envToken = process.env.BERTH_TOKEN;
  if (envToken && (wanted === undefined || wanted === (envUrl ?? DEFAULT_URL))) {
    return { url: envUrl ?? DEFAULT_URL, token: envToken, source: envUrl ? 'BERTH_URL and BERTH_TOKEN' : 'BERTH_TOKEN' };
  }
  const url = wanted ?? envUrl;

  const saved = readCredentialsFile();
  if (saved) {
    const entry = saved.servers.find((s) => s.url === (url ?? saved.current));
    if (entry) return { url: entry.url, token: entry.token, source: credentialsPath() };
  }

  const target = url ?? DEFAULT_URL;
  if (isLoopback(target)) {
    const tokenFile = join(options.dataDir ? resolve(options.dataDir) : defaultDataDir(), 'cli-token');
    const token = readTokenFile(tokenFile);
    if (token) return { url: target, token, source: tokenFile };
  }
  return { url: target, source: 'none' };
}

/** Stores the token for `url` (mode 0600, atomically) and makes it the current server. Returns the file path. */
export function saveCredentials(url: string, token: string): string {
  const normalised = normaliseUrl(url, 'the server URL');
  const path = credentialsPath();
  const existing = readCredentialsFile();
  const servers = (existing?.servers ?? []).filter((s) => s.url !== normalised);
  servers.push({ url: normalised, token, savedAt: new Date().toISOString() });
  const file: CredentialsFile = { version: 1, current: normalised, servers };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    rmSync(temp, { force: true });
    writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new ApiClientError('BERTH_CLIENT_CREDENTIALS', { path, failed: 'save', reason: (cause as Error).message }, { cause });
  }
  return path;
}

/** The origin plus path without trailing slashes: the form URLs are compared and stored in. */
export function normaliseUrl(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ApiClientError('BERTH_CLIENT_URL_INVALID', { where, url }, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ApiClientError('BERTH_CLIENT_URL_INVALID', { where, url, protocol: parsed.protocol });
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function readCredentialsFile(): CredentialsFile | undefined {
  const path = credentialsPath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ApiClientError('BERTH_CLIENT_CREDENTIALS', { path, failed: 'read', reason: (cause as Error).message }, { cause });
  }
  // Like ssh with private keys: a token file others can read is refused, not silently used.
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ApiClientError('BERTH_CLIENT_CREDENTIALS', { path, mode });
  }
  try {
    const data = JSON.parse(text) as Partial<CredentialsFile>;
    if (data.version !== 1 || typeof data.current !== 'string' || !Array.isArray(data.servers)) throw new Error('unexpected layout');
    return data as CredentialsFile;
  } catch (cause) {
    throw new ApiClientError('BERTH_CLIENT_CREDENTIALS', { path, failed: 'parse', reason: (cause as Error).message }, { cause });
  }
}

function readTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    // Missing or not ours to read (another user's server): simply no local token.
    return undefined;
  }
}
