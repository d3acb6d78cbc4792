import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import Fastify from 'fastify';
import { registerJobRoutes } from '/work/main/src/server/routes/jobs.ts';
import { startJobsServer, writeProject } from '/work/main/test/jobs-support.ts';
import { tempDir } from '/work/main/test/support/berth.ts';

test('demo output', async (t) => {
  const base = await startJobsServer(t);
  const app = Fastify();
  registerJobRoutes(app, { store: base.server.store, projects: base.server.projects, jobs: base.jobs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const dir = await tempDir(t);
  await writeProject({ dir, file: 'hello.orchest', parameters: { greeting: 'hello' },
    services: { web: { image: 'python', command: 'python3', args: '-m http.server 45678 --bind 127.0.0.1', ports: [45678] } },
    steps: [{ title: 'Hello', file: 'hello.py', source: 'print("hi")\n' }, { title: 'Two', file: 'two.sh', after: ['Hello'], source: 'echo two\n' }] });
  await base.server.projects.add(dir, 'hello');
  const env = { ...process.env, BERTH_URL: url, BERTH_TOKEN: base.token, NO_COLOR: '1' };
  const run = (args: string[]) => { const r = spawnSync(process.execPath, ['/work/main/bin/berth.mjs', ...args], { env, encoding: 'utf8', cwd: '/work/main' }); console.log(`$ berth ${args.join(' ')}\n${r.stdout}${r.stderr}(exit ${r.status})`); return r.stdout; };
  run(['job', 'create', 'hello', 'hello.orchest', '--param', 'greeting=hola', '--name', 'nightly']);
  run(['job', 'list']);
  run(['job', 'run', 'nightly', '--wait']);
  run(['run', 'list']);
  const list = JSON.parse(spawnSync(process.execPath, ['/work/main/bin/berth.mjs', 'run', 'list', '--json'], { env, encoding: 'utf8', cwd: '/work/main' }).stdout);
  run(['run', 'status', list.runs[0].uuid]);
  run(['run', 'logs', list.runs[0].uuid, 'Hello']);
});
