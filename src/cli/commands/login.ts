/**
 * `berth login URL`: trades a token or a username and password for a named API token and saves it
 * (with the URL) in the credentials file, so later commands authenticate by themselves.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { API_ROUTES, type Reply } from '../../api/index.ts';
import { BerthClient, ApiClientError, normaliseUrl, saveCredentials } from '../../sdk/index.ts';
import { CliError } from '../errors.ts';
import { CliExit, colors as c, printJson } from '../output.ts';

interface LoginOptions {
  token?: string;
  username?: string;
  passwordStdin?: boolean;
  name?: string;
  json?: boolean;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('sign in to a Berth server and save an API token for the CLI (in $XDG_CONFIG_HOME/berth/credentials.json, mode 600)')
    .argument('<url>', 'the server, e.g. https://berth.example.com or http://127.0.0.1:8765')
    .option('--token <token>', 'sign in with a login or API token (e.g. the one from the first-start link)')
    .option('--username <username>', 'sign in with a username; the password is asked for without echo')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .option('--name <name>', 'name of the API token this creates (default: "berth CLI on <host>")')
    .option('--json', 'machine-readable output')
    .action(async function loginAction(rawUrl: string, options: LoginOptions) {
      const url = normaliseUrl(rawUrl, 'berth login URL');
      if (options.token && options.username) {
        throw new CliError('BERTH_CLI_USAGE', { message: 'give --token or --username, not both' });
      }
      const name = options.name ?? `berth CLI on ${hostname()}`;
      let token: string;
      if (options.token) {
        token = await createToken(new BerthClient({ url, token: options.token }), name);
      } else {
        const username = options.username ?? (await promptLine('Username: '));
        const password = options.passwordStdin ? await readPasswordFromStdin() : await promptHidden(`Password for ${username}: `);
        token = await tokenFromPassword(url, username, password, name);
      }
      const me = await new BerthClient({ url, token }).call('me');
      const path = saveCredentials(url, token);
      if (options.json) return printJson({ url, user: me.user, tokenName: name, credentials: path });
      process.stdout.write(`${c.green('signed in')} to ${c.bold(url)} as ${c.bold(me.user.username ?? me.user.name)}\n`);
      process.stdout.write(`  saved API token ${c.bold(JSON.stringify(name))} in ${path}\n`);
    });
}

async function createToken(client: BerthClient, name: string): Promise<string> {
  const created = await client.call('createToken', {}, { name });
  return created.token;
}

/** Signs in like the browser does (cookie + CSRF token), makes the API token, then signs that web session out. */
async function tokenFromPassword(url: string, username: string, password: string, name: string): Promise<string> {
  const login = await send(url, API_ROUTES.login.path, { username, password });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = (login.data as Partial<Reply<'login'>>).csrfToken ?? '';
  const session = { cookie, 'x-berth-csrf': csrf };
  try {
    const created = await send(url, API_ROUTES.createToken.path, { name }, session);
    return (created.data as Reply<'createToken'>).token;
  } finally {
    await send(url, API_ROUTES.logout.path, {}, session).catch(() => undefined);
  }
}

/** A POST on fetch, for the browser-style sign-in: BerthClient sends no cookies and reads no headers. */
async function send(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ data: unknown; headers: Headers }> {
  const method = 'POST';
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiClientError('BERTH_CLIENT_UNREACHABLE', { url, command: 'login' }, { cause });
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: { message: text.slice(0, 200) } };
  }
  if (!response.ok) {
    throw ApiClientError.fromAnswer(response.status, data, method, path);
  }
  return { data, headers: response.headers };
}

export async function promptLine(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError('BERTH_CLI_USAGE', { message: 'no terminal to ask on', hint: 'pass --username (and --password-stdin) or --token' });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a password from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(
      new CliError('BERTH_CLI_USAGE', {
        message: 'no terminal to ask for the password on',
        hint: 'pipe it in with --password-stdin, e.g. `pass show berth | berth … --password-stdin`',
      }),
    );
  }
  process.stderr.write(question);
  return new Promise((resolvePassword, reject) => {
    let value = '';
    function cleanup(): void {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    }
    function onData(chunk: string): void {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          cleanup();
          resolvePassword(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(new CliExit(130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    }
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The whole of standard input minus one trailing newline (what `echo`/`printf` pipelines add). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new CliError('BERTH_CLI_USAGE', { message: '--password-stdin: standard input was empty', hint: 'e.g. `printf %s "$PASSWORD" | berth …`' });
  return password;
}
