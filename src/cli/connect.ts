/**
 * How CLI commands reach the server: --url, BERTH_URL, a saved `berth login`, the server running on
 * this machine (`<data-dir>/server.json`), then http://127.0.0.1:8765; the token from the saved
 * login or the local `<data-dir>/cli-token`.
 */
import type { Command } from 'commander';
import { BerthClient, credentialsPath, defaultDataDir, resolveCredentials, type ResolvedCredentials } from '../sdk/index.ts';
import { findRunningServer } from './server-info.ts';

export interface ConnectOptions {
  url?: string;
  dataDir?: string;
}

export function addConnectOptions(command: Command): Command {
  return command
    .option('--url <url>', 'Berth server URL (default: BERTH_URL, saved login, the server running on this machine, or http://127.0.0.1:8765)')
    .option('--data-dir <dir>', "local server's data directory, for its address and CLI token (default: BERTH_DATA_DIR or ~/.berth)");
}

export function connect(options: ConnectOptions): BerthClient {
  const credentials = resolveTarget(options);
  return new BerthClient({ url: credentials.url, token: credentials.token });
}

/**
 * The running local server only replaces the fixed default address: an explicit URL, BERTH_URL,
 * BERTH_TOKEN or a saved login still decide where the CLI goes.
 */
export function resolveTarget(options: ConnectOptions): ResolvedCredentials {
  const dataDir = options.dataDir ? { dataDir: options.dataDir } : {};
  if (options.url) return resolveCredentials({ url: options.url, ...dataDir });
  const fallback = resolveCredentials(dataDir);
  if (process.env.BERTH_URL || process.env.BERTH_TOKEN || fallback.source === credentialsPath()) return fallback;
  const running = findRunningServer(options.dataDir ?? defaultDataDir());
  return running ? resolveCredentials({ url: running.url, ...dataDir }) : fallback;
}
