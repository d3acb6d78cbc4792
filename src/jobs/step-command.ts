/**
 * How a step's file is run, by its extension (Orchest ran notebooks through a kernel and scripts
 * through their interpreter). Notebooks go through Berth's notebook runner, which picks the kernel
 * from the notebook's language as Orchest's runner did (docs/jobs.md, "Notebook kernels") and keeps
 * the executed notebook, with its outputs: in place for job runs (a copy of the project), beside the
 * run for interactive ones.
 */
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { JobError } from './errors.ts';
import { PYTHON_SDK_DIR } from './step-env.ts';

/**
 * The runner's file name. It lives beside the Python SDK so that it reaches every step the SDK
 * reaches: on the host, in the SDK mount of a step container, in the files of a step pod.
 */
export const NOTEBOOK_RUNNER_FILE = 'berth_notebook_runner.py';

export interface StepCommandOptions {
  /** Where the executed notebook is written; absent = over the notebook itself. */
  notebookOutputDir?: string;
  /** The python that has nbclient and ipykernel (Debian's by default). */
  notebookPython?: string;
  /** The runner script as the step sees it (default: the host's copy in Berth's SDK directory). */
  notebookRunner?: string;
  /** Where the step runs, for the runner's messages: "the host" (default) or "the image X". */
  notebookWhere?: string;
}

export const STEP_FILE_TYPES = ['.py', '.sh', '.js', '.mjs', '.cjs', '.ts', '.mts', '.R', '.r', '.ipynb'] as const;

/** tsx's loader, from Berth's own dependencies: TypeScript steps (and the TS SDK) need no build. */
const TSX_LOADER = import.meta.resolve('tsx');

/** argv for a step file (relative to the working directory). */
export function stepCommand(filePath: string, options: StepCommandOptions = {}): string[] {
  const ext = extname(filePath);
  switch (ext) {
    case '.py':
      return ['python3', filePath];
    case '.sh':
      return ['bash', filePath];
    case '.js':
    case '.mjs':
    case '.cjs':
      // The same Node that runs Berth: a step never depends on which `node` is first on PATH.
      return [process.execPath, filePath];
    case '.ts':
    case '.mts':
      return [process.execPath, '--import', TSX_LOADER, filePath];
    case '.R':
    case '.r':
      return ['Rscript', filePath];
    case '.ipynb': {
      const python = options.notebookPython ?? defaultNotebookPython();
      const runner = options.notebookRunner ?? join(PYTHON_SDK_DIR, NOTEBOOK_RUNNER_FILE);
      const output = options.notebookOutputDir ? ['--output-dir', options.notebookOutputDir] : [];
      return [python, runner, filePath, ...output, '--where', options.notebookWhere ?? 'the host'];
    }
    default:
      throw new JobError('BERTH_JOB_STEP_FILE_TYPE', { filePath, ext, types: STEP_FILE_TYPES });
  }
}

/**
 * Debian's python3 carries nbclient/ipykernel as system packages; a pyenv or venv python first on
 * PATH usually does not. BERTH_NOTEBOOK_PYTHON overrides.
 */
export function defaultNotebookPython(): string {
  if (process.env.BERTH_NOTEBOOK_PYTHON) return process.env.BERTH_NOTEBOOK_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
