/** `berth env-image list|create|build|cancel`: environments (base image + setup script) built into images. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { addConnectOptions, connect, type ConnectOptions } from '../connect.ts';
import { CliExit, colors as c, printJson } from '../output.ts';

export function registerEnvImage(program: Command): void {
  const envImage = program
    .command('env-image')
    .description('environments: a base image plus a setup script, built into an image services use as environment@<uuid>');

  addConnectOptions(envImage.command('list').description("a project's environments and their builds").argument('<project>').option('--json')).action(
    async function envImageList(project: string, options: ConnectOptions & { json?: boolean }) {
      const { environments } = await connect(options).call('listEnvironments', { project });
      if (options.json) return printJson({ environments });
      if (environments.length === 0) process.stdout.write('no environments; create one with `berth env-image create PROJECT NAME --base-image IMAGE`\n');
      for (const e of environments) {
        const last = e.builds[0];
        process.stdout.write(
          `${c.bold(e.name)}  ${c.dim(e.uuid)}  from ${e.base_image}  ${e.currentImage ? c.green(e.currentImage) : c.yellow('not built')}${last && last.status !== 'succeeded' ? `  (last build ${last.number}: ${last.status})` : ''}\n`,
        );
      }
    },
  );

  addConnectOptions(
    envImage
      .command('create')
      .description('create an environment in the project (.orchest/environments/<uuid>)')
      .argument('<project>')
      .argument('<name>')
      .requiredOption('--base-image <image>', 'image to build on (present in the engine, or pullable)')
      .option('--setup-script <file>', 'bash script run once at build time (default: an empty template)')
      .option('--json'),
  ).action(async function envImageCreate(
    project: string,
    name: string,
    options: ConnectOptions & { baseImage: string; setupScript?: string; json?: boolean },
  ) {
    const setupScript = options.setupScript ? await readFile(options.setupScript, 'utf8') : undefined;
    const body = { name, base_image: options.baseImage, ...(setupScript === undefined ? {} : { setupScript }) };
    const { environment } = await connect(options).call('createEnvironment', { project }, body);
    if (options.json) return printJson({ environment });
    process.stdout.write(`created environment ${c.bold(name)} ${environment.uuid}; use it as "image": "environment@${environment.uuid}"\n`);
  });

  addConnectOptions(
    envImage
      .command('build')
      .description('build an environment, streaming the log; a failed build keeps the previous image')
      .argument('<project>')
      .argument('<environment>', 'environment uuid')
      .option('--json', 'print the build record at the end instead of the log'),
  ).action(async function envImageBuild(project: string, environment: string, options: ConnectOptions & { json?: boolean }) {
    const client = connect(options);
    const { build } = await client.startEnvironmentBuild(project, environment);
    for await (const chunk of await client.environmentBuildLog(project, environment, build.number)) if (!options.json) process.stdout.write(chunk);
    const { build: record } = await client.getEnvironmentBuild(project, environment, build.number);
    if (options.json) printJson({ build: record });
    else if (record.status === 'succeeded') process.stdout.write(`${c.green('built')} ${record.image}\n`);
    else process.stderr.write(`${c.red('build failed')}: ${record.error ?? record.status}\n`);
    if (record.status !== 'succeeded') throw new CliExit(3);
  });

  addConnectOptions(
    envImage
      .command('cancel')
      .description('cancel a running build; the previous image stays current')
      .argument('<project>')
      .argument('<environment>', 'environment uuid')
      .argument('<number>', 'build number (berth env-image list shows the last one)')
      .option('--json'),
  ).action(async function envImageCancel(project: string, environment: string, number: string, options: ConnectOptions & { json?: boolean }) {
    const { build } = await connect(options).cancelEnvironmentBuild(project, environment, number);
    if (options.json) return printJson({ build });
    process.stdout.write(`build ${build.number}: ${build.status}\n`);
  });
}
