/**
 * How a step's file is run, by its extension (Orchest ran notebooks through a kernel and scripts
 * through their interpreter). Notebooks go through nbconvert so the executed notebook, with its
 * outputs, is kept: in place for job runs (a copy of the project), beside the run for interactive ones.
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { JobError } from './errors.ts';

export interface StepCommandOptions {
  /** Where nbconvert writes the executed notebook; absent = next to the notebook (overwrites it). */
  notebookOutputDir?: string;
  /** The python that has nbconvert and ipykernel (Debian's by default). */
  notebookPython?: string;
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
      const output = ['--output', basename(filePath)];
      if (options.notebookOutputDir) output.push('--output-dir', options.notebookOutputDir);
      return [python, '-m', 'nbconvert', '--to', 'notebook', '--execute', ...output, filePath];
    }
    default:
      throw new JobError('BERTH_JOB_STEP_FILE_TYPE', `cannot run step file ${filePath}: unknown file type "${ext || '(none)'}"`, {
        hint: `steps can be ${STEP_FILE_TYPES.join(', ')} files`,
      });
  }
}

/**
 * Debian's python3 carries nbconvert/ipykernel as system packages; a pyenv or venv python first on
 * PATH usually does not. BERTH_NOTEBOOK_PYTHON overrides.
 */
export function defaultNotebookPython(): string {
  if (process.env.BERTH_NOTEBOOK_PYTHON) return process.env.BERTH_NOTEBOOK_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
