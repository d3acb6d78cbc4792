/**
 * Projects written exactly as Orchest wrote them, for the tests that prove they run unchanged: a
 * pipeline file of version 1.0.0 (examples/legacy), an environment directory
 * `.orchest/environments/<uuid>/` with properties.json and setup_script.sh, and notebooks saved by
 * Orchest's JupyterLab, whose kernelspec is `orchest-kernel-<environment uuid>` with the language.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Orchest's kernelspec and language_info of a notebook of each language, as its JupyterLab saved them. */
const LANGUAGES = {
  python: {
    kernelspec: { display_name: 'Python 3', language: 'python' },
    language_info: {
      codemirror_mode: { name: 'ipython', version: 3 },
      file_extension: '.py',
      mimetype: 'text/x-python',
      name: 'python',
      nbconvert_exporter: 'python',
      pygments_lexer: 'ipython3',
      version: '3.9.7',
    },
    stepKernel: { display_name: 'Python 3', name: 'python' },
  },
  r: {
    kernelspec: { display_name: 'R', language: 'R' },
    language_info: { codemirror_mode: 'r', file_extension: '.r', mimetype: 'text/x-r-source', name: 'R', pygments_lexer: 'r', version: '4.1.1' },
    stepKernel: { display_name: 'R', name: 'r' },
  },
  julia: {
    kernelspec: { display_name: 'Julia 1.7.1', language: 'julia' },
    language_info: { file_extension: '.jl', mimetype: 'application/julia', name: 'julia', version: '1.7.1' },
    stepKernel: { display_name: 'Julia 1.7.1', name: 'julia' },
  },
} as const;

export type OrchestLanguage = keyof typeof LANGUAGES;

/** A notebook as Orchest saved it: one code cell per source, kernelspec `orchest-kernel-<environment>`. */
export function orchestNotebook(language: OrchestLanguage, environment: string, ...cells: string[]): string {
  const { kernelspec, language_info } = LANGUAGES[language];
  return `${JSON.stringify(
    {
      cells: cells.map((source, index) => ({
        cell_type: 'code',
        execution_count: null,
        id: `cell-${index}`,
        metadata: {},
        outputs: [],
        source: source.split(/(?<=\n)/),
      })),
      metadata: { kernelspec: { ...kernelspec, name: `orchest-kernel-${environment}` }, language_info },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  )}\n`;
}

/** The kernelspec orchestNotebook writes: what an executed notebook must still carry. */
export function orchestKernelspec(language: OrchestLanguage, environment: string): Record<string, string> {
  return { ...LANGUAGES[language].kernelspec, name: `orchest-kernel-${environment}` };
}

export interface OrchestStep {
  title: string;
  file: string;
  source: string;
  language?: OrchestLanguage;
  after?: string[];
}

export interface OrchestProject {
  dir: string;
  /** The pipeline file's name, e.g. `main.orchest`. */
  file: string;
  /** The environment every step runs in. */
  environment: string;
  /** Write `.orchest/environments/<environment>/` too (a project made with Berth's API has it already). */
  writeEnvironment?: boolean;
  steps: OrchestStep[];
}

/** Writes the project; returns the step uuids by title. */
export async function writeOrchestProject(project: OrchestProject): Promise<{ pipelineUuid: string; stepUuids: Record<string, string> }> {
  const stepUuids = Object.fromEntries(project.steps.map((s) => [s.title, randomUUID()]));
  const steps = Object.fromEntries(
    project.steps.map((s, index) => [
      stepUuids[s.title],
      {
        environment: project.environment,
        file_path: s.file,
        incoming_connections: (s.after ?? []).map((title) => stepUuids[title]),
        kernel: LANGUAGES[s.language ?? 'python'].stepKernel,
        meta_data: { hidden: false, position: [100 + 300 * index, 200] },
        parameters: {},
        title: s.title,
        uuid: stepUuids[s.title],
      },
    ]),
  );
  const pipelineUuid = randomUUID();
  const pipeline = {
    name: project.file.replace(/\.orchest$/, ''),
    parameters: {},
    settings: { auto_eviction: false, data_passing_memory_size: '1GB' },
    steps,
    uuid: pipelineUuid,
    version: '1.0.0',
  };
  await mkdir(project.dir, { recursive: true });
  await writeFile(join(project.dir, project.file), `${JSON.stringify(pipeline, null, 4)}\n`);
  for (const step of project.steps) await writeFile(join(project.dir, step.file), step.source);
  if (project.writeEnvironment) {
    const envDir = join(project.dir, '.orchest', 'environments', project.environment);
    await mkdir(envDir, { recursive: true });
    const properties = { base_image: 'orchest/base-kernel-py', gpu_support: false, language: 'python', name: 'Python 3', uuid: project.environment };
    await writeFile(join(envDir, 'properties.json'), JSON.stringify(properties));
    await writeFile(join(envDir, 'setup_script.sh'), '#!/bin/bash\n\n# Install any dependencies you have in this shell script.\n');
  }
  return { pipelineUuid, stepUuids };
}
