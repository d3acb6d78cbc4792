/** How CLI commands reach the server: --url / BERTH_URL, saved credentials, or the local token file. */
import type { Command } from 'commander';
import { BerthClient } from '../sdk/client.ts';
import { resolveCredentials } from '../sdk/credentials.ts';

export interface ConnectOptions {
  url?: string;
  dataDir?: string;
}

export function addConnectOptions(command: Command): Command {
  return command
    .option('--url <url>', 'Berth server URL (default: BERTH_URL, saved login, or http://127.0.0.1:8765)')
    .option('--data-dir <dir>', "local server's data directory, for its CLI token (default: BERTH_DATA_DIR or ~/.berth)");
}

export function connect(options: ConnectOptions): BerthClient {
  const credentials = resolveCredentials({
    ...(options.url ? { url: options.url } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return new BerthClient({ url: credentials.url, token: credentials.token });
}
