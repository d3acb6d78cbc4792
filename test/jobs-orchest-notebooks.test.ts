/**
 * A project made in Orchest runs unchanged on the local runtime (docs/jobs.md, "Notebook kernels"):
 * a 1.0.0 pipeline file, an environment directory in Orchest's layout and notebooks whose
 * kernelspec is `orchest-kernel-<environment uuid>`. The Python notebook runs with `python3`, the R
 * notebook with `ir` (Debian's r-cran-irkernel), a `.R` step with Rscript; each executed notebook
 * keeps its own kernelspec. A Julia notebook (no kernel on the host) fails at once with the fix.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NOTEBOOK_RUNNER_FILE } from '../src/jobs/step-command.ts';
import { parseParameterAssignments, PYTHON_SDK_DIR, type RunView } from '../src/jobs/index.ts';
import { loadPipelineFile } from '../src/spec/index.ts';
import { tempDir } from './support/berth.ts';
import { commandRequirement, skipUnless, type Requirement } from './support/requirements.ts';
import { startJobsServer } from './jobs-support.ts';
import { orchestKernelspec, orchestNotebook, writeOrchestProject } from './orchest-project.ts';

const ENVIRONMENT = '5b2c7e1a-9d3f-4a6b-8c0e-1f2a3b4c5d6e';

function kernels(): string[] {
  if (!existsSync('/usr/bin/python3')) return [];
  const found = spawnSync('/usr/bin/python3', ['-c', 'import json, nbclient; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(sorted(K().find_kernel_specs())))'], { encoding: 'utf8' });
  return found.status === 0 ? (JSON.parse(found.stdout) as string[]) : [];
}
const installed = kernels();
const pythonKernel: Requirement = { ok: installed.includes('python3'), what: "Debian's python3 with nbclient and ipykernel", fix: 'apt-get install python3-nbconvert python3-ipykernel' };
const rKernel: Requirement = { ok: installed.includes('ir'), what: 'the ir kernel (IRkernel)', fix: 'apt-get install r-base-core r-cran-irkernel' };
const rscript = commandRequirement('Rscript', 'apt-get install r-base-core');
const noJulia: Requirement = { ok: !installed.some((k) => k.startsWith('julia')), what: 'a host without a Julia kernel', fix: 'run where IJulia is not installed' };

function describeRun(run: RunView): string {
  return JSON.stringify({ status: run.status, reason: run.reason, steps: run.steps.map((s) => [s.title, s.status, s.exitCode, s.reason]) }, null, 2);
}

async function loadSpec(projectDir: string, file: string) {
  const loaded = await loadPipelineFile(join(projectDir, file));
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  return loaded.spec;
}

describe('a project made in Orchest, on the local runtime', () => {
  test('notebooks run with the kernel of their language and keep their kernelspec; .R runs with Rscript; Julia is refused with the fix', skipUnless(pythonKernel, rKernel, rscript, noJulia), async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-orchest-project-');
    const python = orchestNotebook('python', ENVIRONMENT, 'import os\nprint("python says", 6 * 7)', 'open("py-notebook.txt", "w").write(os.environ["ORCHEST_STEP_UUID"])');
    const r = orchestNotebook('r', ENVIRONMENT, 'cat("R says", 1 + 2, "\\n")', 'writeLines(R.version$language, "r-notebook.txt")');
    const { stepUuids } = await writeOrchestProject({
      dir,
      file: 'main.orchest',
      environment: ENVIRONMENT,
      writeEnvironment: true,
      steps: [
        { title: 'Python notebook', file: 'py.ipynb', source: python },
        { title: 'R notebook', file: 'r.ipynb', language: 'r', source: r, after: ['Python notebook'] },
        { title: 'R script', file: 'script.R', language: 'r', source: 'writeLines(paste("Rscript", R.version$major), "r-script.txt")\n' },
        { title: 'Julia notebook', file: 'jl.ipynb', language: 'julia', source: orchestNotebook('julia', ENVIRONMENT, 'println("never")') },
      ],
    });
    await client.addProject(dir, 'orchest');
    const record = server.projects.get('orchest');
    const spec = await loadSpec(record.path, 'main.orchest');
    const job = jobs.createJob({ projectUuid: record.uuid, pipelinePath: 'main.orchest', spec, parameters: parseParameterAssignments([], spec), env: {} });
    const run = await jobs.waitRun((await jobs.startRun(job.uuid)).uuid, 180_000);
    const byTitle = Object.fromEntries(run.steps.map((s) => [s.title, s]));
    const logs = Object.fromEntries(await Promise.all(run.steps.map(async (s) => [s.title, await readFile(s.logFile, 'utf8').catch(() => '')] as const)));
    const context = `${describeRun(run)}\n${Object.entries(logs).map(([title, log]) => `--- ${title}\n${log}`).join('\n')}`;
    assert.deepEqual(
      run.steps.map((s) => [s.title, s.status, s.exitCode]),
      [['Python notebook', 'succeeded', 0], ['R notebook', 'succeeded', 0], ['R script', 'succeeded', 0], ['Julia notebook', 'failed', 3]],
      context,
    );
    const copy = join(run.runDir, 'project');

    const executedPython = JSON.parse(await readFile(join(copy, 'py.ipynb'), 'utf8'));
    assert.deepEqual(executedPython.metadata.kernelspec, orchestKernelspec('python', ENVIRONMENT), 'the executed notebook keeps its Orchest kernelspec');
    assert.match(JSON.stringify(executedPython.cells[0].outputs), /python says 42/);
    assert.equal(await readFile(join(copy, 'py-notebook.txt'), 'utf8'), stepUuids['Python notebook']);
    assert.match(logs['Python notebook']!, /runs with kernel python3/);
    assert.match(logs['Python notebook']!, /\[1\] python says 42/, "cell output is in the step log, as Orchest's runner logged it");

    const executedR = JSON.parse(await readFile(join(copy, 'r.ipynb'), 'utf8'));
    assert.deepEqual(executedR.metadata.kernelspec, orchestKernelspec('r', ENVIRONMENT));
    assert.match(JSON.stringify(executedR.cells[0].outputs), /R says 3/);
    assert.equal(await readFile(join(copy, 'r-notebook.txt'), 'utf8'), 'R\n');
    assert.match(logs['R notebook']!, /\(language r\) runs with kernel ir/);

    assert.match(await readFile(join(copy, 'r-script.txt'), 'utf8'), /^Rscript \d+\n$/);
    assert.match(logs['R script']!, /Rscript script\.R/);

    const julia = byTitle['Julia notebook']!;
    assert.equal(julia.reason, 'step "Julia notebook" exited with code 3');
    assert.ok(
      logs['Julia notebook']!.includes(
        `[berth] notebook jl.ipynb is written in julia (kernelspec "orchest-kernel-${ENVIRONMENT}"), and the host has no julia kernel (kernels there: ${installed.join(', ')}): ` +
          'install IJulia into Julia (`using Pkg; Pkg.add("IJulia")`; Debian packages neither Julia\'s kernel nor IJulia)',
      ),
      logs['Julia notebook'],
    );
    console.log(`[jobs-orchest-notebooks] the Julia notebook was refused in ${julia.durationMs} ms`);
    assert.ok((julia.durationMs ?? Infinity) < 30_000, `refused in seconds, not after a kernel timeout (${julia.durationMs} ms)`);
    assert.deepEqual(JSON.parse(await readFile(join(copy, 'jl.ipynb'), 'utf8')).metadata.kernelspec, orchestKernelspec('julia', ENVIRONMENT), 'a refused notebook is left as it was');
  });

  test('the runner skips cells tagged skip, and a failing cell fails the step with the notebook written, error included', skipUnless(pythonKernel), async (t) => {
    const dir = await tempDir(t, 'berth-notebook-runner-');
    const nb = JSON.parse(orchestNotebook('python', ENVIRONMENT, 'raise SystemExit("the skipped cell ran")', 'print("before the error")', 'raise ValueError("boom")', 'print("never")'));
    nb.cells[0].metadata.tags = ['skip'];
    await writeFile(join(dir, 'fail.ipynb'), JSON.stringify(nb));
    const result = spawnSync('/usr/bin/python3', [join(PYTHON_SDK_DIR, NOTEBOOK_RUNNER_FILE), 'fail.ipynb', '--output-dir', 'out'], { cwd: dir, encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.status, 1, output);
    assert.match(output, /\[2\] before the error\n/);
    assert.match(output, /\[berth\] a cell of notebook fail\.ipynb failed: ValueError: boom/);
    assert.doesNotMatch(output, /skipped cell ran|never/);
    const written = JSON.parse(await readFile(join(dir, 'out', 'fail.ipynb'), 'utf8'));
    assert.deepEqual(written.metadata.kernelspec, orchestKernelspec('python', ENVIRONMENT));
    assert.deepEqual(written.cells.map((c: { outputs: { output_type: string }[] }) => c.outputs.map((o) => o.output_type)), [[], ['stream'], ['error'], []]);
  });

  test('an interactive run writes the executed notebook beside the run, with its Orchest kernelspec; the project notebook is untouched', skipUnless(pythonKernel), async (t) => {
    const { server, client, jobs } = await startJobsServer(t);
    const dir = await tempDir(t, 'berth-orchest-project-');
    const source = orchestNotebook('python', ENVIRONMENT, 'import os\nprint("interactive", os.environ["ORCHEST_SESSION_TYPE"])');
    await writeOrchestProject({ dir, file: 'live.orchest', environment: ENVIRONMENT, writeEnvironment: true, steps: [{ title: 'Book', file: 'book.ipynb', source }] });
    await client.addProject(dir, 'live');
    const record = server.projects.get('live');
    const spec = await loadSpec(record.path, 'live.orchest');
    const session = await server.sessions.start({
      projectUuid: record.uuid,
      pipelinePath: 'live.orchest',
      spec,
      projectDir: record.path,
      type: 'interactive',
      userEnv: server.store.mergedEnvVars(record.uuid, spec.uuid),
    });
    assert.equal((await server.sessions.waitSettled(session.uuid, 30_000)).status, 'running');
    const started = await jobs.runPipelineSteps({ projectUuid: record.uuid, pipelinePath: 'live.orchest', spec });
    const run = await jobs.waitRun(started.uuid, 120_000);
    assert.equal(run.status, 'succeeded', `${describeRun(run)}\n${await readFile(run.steps[0]!.logFile, 'utf8').catch(() => '')}`);
    const executed = JSON.parse(await readFile(join(run.runDir, 'notebooks', 'book.ipynb'), 'utf8'));
    assert.deepEqual(executed.metadata.kernelspec, orchestKernelspec('python', ENVIRONMENT));
    assert.match(JSON.stringify(executed.cells[0].outputs), /interactive interactive/);
    assert.equal(await readFile(join(dir, 'book.ipynb'), 'utf8'), source, 'the project notebook is not overwritten');
  });
});
