/** `berth login-link`: a fresh one-day sign-in link, for the server machine (it uses the local CLI token). */
import type { Command } from 'commander';
import { loginLinkUrl } from '../../shared/index.ts';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { colors as c, printJson } from '../output.ts';

export function registerLoginLink(program: Command): void {
  addConnectOptions(
    program
      .command('login-link')
      .description('print a new one-time sign-in link for the web UI, valid 24 hours (run it on the server machine)')
      .option('--json', 'machine-readable output'),
  ).action(async function loginLink(options: ConnectOptions & { json?: boolean }) {
    const client = connect(options);
    const made = await client.call('createLoginLink');
    const url = loginLinkUrl(client.url, made.token);
    if (options.json) return printJson({ url, expiresAt: made.expiresAt });
    process.stdout.write(`${c.cyan(url)}\n${c.dim(`open it in a browser to sign in; it expires at ${made.expiresAt}`)}\n`);
  });
}
