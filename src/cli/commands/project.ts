/** `berth project add|list|remove` and `berth env set|unset|list`. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { colors as c, printJson } from '../output.ts';
import { promptHidden } from './login.ts';

export function registerProject(program: Command): void {
  const project = program.command('project').description('register project directories with the server');

  addConnectOptions(
    project
      .command('add')
      .description('register a project directory (its .orchest files are its pipelines)')
      .argument('<dir>')
      .option('--name <name>', 'project name (default: the directory name)')
      .option('--json', 'machine-readable output'),
  ).action(async function projectAdd(dir: string, options: ConnectOptions & { name?: string; json?: boolean }) {
    const client = connect(options);
    const { project: added } = await client.addProject(resolve(dir), options.name);
    const { pipelines } = await client.listPipelines(added.uuid);
    if (options.json) return printJson({ project: added, pipelines });
    process.stdout.write(`${c.green('added')} project ${c.bold(added.name)} (${added.path})\n`);
    for (const p of pipelines) process.stdout.write(`  ${p.path}  ${p.valid ? c.green('valid') : c.red('invalid')}  services: ${p.services.join(', ') || '-'}\n`);
  });

  addConnectOptions(
    project
      .command('create')
      .description("create a new project from a starter, on the server: in <data-dir>/projects, or on the kubernetes runtime in the projects claim's mount (BERTH_K8S_PROJECTS_MOUNT, /projects in deploy/kubernetes)")
      .argument('<name>')
      .option('--starter <starter>', 'demo (the bundled demo) or empty (one empty pipeline)', 'empty')
      .option('--json', 'machine-readable output'),
  ).action(async function projectCreate(name: string, options: ConnectOptions & { starter: 'demo' | 'empty'; json?: boolean }) {
    const { project: created } = await connect(options).createProject(name, options.starter);
    if (options.json) return printJson({ project: created });
    process.stdout.write(`${c.green('created')} project ${c.bold(created.name)} at ${created.path} (starter: ${options.starter})\n`);
  });

  addConnectOptions(project.command('list').description('registered projects and their pipelines').option('--json', 'machine-readable output')).action(
    async function projectList(options: ConnectOptions & { json?: boolean }) {
      const client = connect(options);
      const { projects } = await client.listProjects();
      const withPipelines = await Promise.all(projects.map(async (p) => ({ ...p, pipelines: (await client.listPipelines(p.uuid)).pipelines })));
      if (options.json) return printJson({ projects: withPipelines });
      if (projects.length === 0) process.stdout.write('no projects; add one with `berth project add DIR`\n');
      for (const p of withPipelines) {
        process.stdout.write(`${c.bold(p.name)}  ${c.dim(p.uuid)}  ${p.path}\n`);
        for (const pipeline of p.pipelines) {
          process.stdout.write(`  ${pipeline.path}  ${pipeline.valid ? c.green('valid') : c.red('invalid')}  services: ${pipeline.services.join(', ') || '-'}\n`);
        }
      }
    },
  );

  addConnectOptions(project.command('remove').description('forget a project (its directory is left alone)').argument('<project>')).action(
    async function projectRemove(name: string, options: ConnectOptions) {
      const { removed } = await connect(options).removeProject(name);
      process.stdout.write(`removed project ${removed.name} (${removed.path} is untouched)\n`);
    },
  );
}

export function registerEnv(program: Command): void {
  const env = program
    .command('env')
    .description('project and pipeline environment variables (secrets: kept by the server, never in the project directory)');
  const scopeOptions = (command: Command) =>
    addConnectOptions(command.option('--pipeline <pipeline>', 'pipeline-level variable (overrides the project-level one)'));

  scopeOptions(
    env
      .command('set')
      .description('set a variable; give NAME alone and the value is asked for without echo (or read from stdin), so it stays out of `ps` and shell history')
      .argument('<project>')
      .argument('<assignment>', 'NAME (value asked for, or piped in) or NAME=VALUE (visible to other users in `ps`)')
      .option('--from-stdin', 'read the value from standard input (one trailing newline is dropped)'),
  ).action(
    async function envSet(projectName: string, assignment: string, options: ConnectOptions & { pipeline?: string; fromStdin?: boolean }) {
      const eq = assignment.indexOf('=');
      const name = eq === -1 ? assignment : assignment.slice(0, eq);
      let value: string;
      if (eq !== -1) {
        value = assignment.slice(eq + 1);
        process.stderr.write(
          `${c.yellow('warning:')} the value of ${name} was on the command line, where other users see it in \`ps\` and it stays in shell history; ` +
            `next time run \`berth env set ${projectName} ${name}\` (asks without echo) or pipe it in with --from-stdin\n`,
        );
      } else if (!options.fromStdin && process.stdin.isTTY) {
        value = await promptHidden(`Value of ${name}: `);
      } else {
        value = (await readStdin()).replace(/\r?\n$/, '');
      }
      await connect(options).setEnv(projectName, name, value, options.pipeline);
      process.stdout.write(`set ${name} on ${options.pipeline ? `pipeline ${options.pipeline} of ` : ''}project ${projectName}\n`);
    },
  );

  scopeOptions(env.command('unset').description('remove a variable').argument('<project>').argument('<name>')).action(async function envUnset(
    projectName: string,
    name: string,
    options: ConnectOptions & { pipeline?: string },
  ) {
    await connect(options).unsetEnv(projectName, name, options.pipeline);
    process.stdout.write(`unset ${name}\n`);
  });

  scopeOptions(
    env
      .command('list')
      .description('variable names (values stay hidden unless --reveal)')
      .argument('<project>')
      .option('--reveal', 'show values')
      .option('--json', 'machine-readable output'),
  ).action(async function envList(projectName: string, options: ConnectOptions & { pipeline?: string; reveal?: boolean; json?: boolean }) {
    const client = connect(options);
    const { env: vars } = await client.listEnv(projectName, options.pipeline, { reveal: options.reveal ?? false });
    if (options.json) return printJson({ env: vars });
    if (vars.length === 0) process.stdout.write('no variables\n');
    for (const v of vars) process.stdout.write(`${v.name}=${v.value ?? c.dim('********')}\n`);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
