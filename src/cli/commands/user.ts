/** `berth user add|list|remove|passwd`: the server's users (all of them admins, as in Orchest). */
import type { Command } from 'commander';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { colors as c, printJson } from '../output.ts';
import { CliError } from '../errors.ts';
import { promptHidden, readPasswordFromStdin } from './login.ts';

type PasswordOptions = ConnectOptions & { passwordStdin?: boolean };

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage who can sign in to the server (needs an admin login or the local CLI token)');

  addConnectOptions(
    user
      .command('add')
      .description('create a user (passwords need at least 12 characters)')
      .argument('<username>')
      .option('--password-stdin', 'read the password from standard input instead of asking'),
  ).action(async function userAdd(username: string, options: PasswordOptions) {
    const password = await newPassword(username, options);
    const client = connect(options);
    const { user: added } = await client.call('createUser', {}, { username, password });
    process.stdout.write(`${c.green('added')} user ${c.bold(added.username)}; they sign in at ${client.url}/login\n`);
  });

  addConnectOptions(user.command('list').description('list users').option('--json', 'machine-readable output')).action(
    async function userList(options: ConnectOptions & { json?: boolean }) {
      const { users } = await connect(options).call('listUsers');
      if (options.json) return printJson({ users });
      if (users.length === 0) process.stdout.write('no users yet; add one with `berth user add NAME`\n');
      for (const u of users) process.stdout.write(`${c.bold(u.username)}  ${c.dim(`created ${u.createdAt}`)}\n`);
    },
  );

  addConnectOptions(user.command('remove').description('delete a user, their web sessions and the API tokens they created').argument('<username>')).action(
    async function userRemove(username: string, options: ConnectOptions) {
      const { removed } = await connect(options).call('deleteUser', { username });
      process.stdout.write(`removed user ${c.bold(removed.username)}\n`);
    },
  );

  addConnectOptions(
    user
      .command('passwd')
      .description("set a user's password (signs them out everywhere else)")
      .argument('<username>')
      .option('--password-stdin', 'read the password from standard input instead of asking'),
  ).action(async function userPasswd(username: string, options: PasswordOptions) {
    const password = await newPassword(username, options);
    await connect(options).call('changePassword', { username }, { password });
    process.stdout.write(`${c.green('changed')} the password of ${c.bold(username)}\n`);
  });
}

/** From stdin, or asked twice on the terminal so a typo does not lock the user out. */
async function newPassword(username: string, options: PasswordOptions): Promise<string> {
  if (options.passwordStdin) return readPasswordFromStdin();
  const first = await promptHidden(`New password for ${username}: `);
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new CliError('BERTH_CLI_USAGE', { message: 'the two passwords differ; nothing was changed', hint: 'run the command again' });
  return first;
}
