/** `berth migrate FILE`: shows how an old pipeline file would be rewritten as version 1.2.3; writes it with --yes. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  CURRENT_PIPELINE_VERSION,
  SpecError,
  hasErrors,
  migratePipeline,
  parsePipeline,
  serializePipeline,
  unifiedDiff,
  validatePipeline,
  writePipelineFile,
} from '../../spec/index.ts';
import { CliExit, colors as c, printJson } from '../output.ts';
import { renderReport } from './validate.ts';

async function readPipelineText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new SpecError('BERTH_SPEC_READ_FAILED', { path: file, reason: (cause as Error).message }, { cause });
  }
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(`rewrite an old pipeline file as version ${CURRENT_PIPELINE_VERSION} (shows the diff; writes only with --yes)`)
    .argument('<file>', 'pipeline file')
    .option('--yes', 'write the migrated file (atomically)')
    .option('--json', 'machine-readable output')
    .action(async function migrateFile(file: string, options: { yes?: boolean; json?: boolean }) {
      const original = await readPipelineText(file);
      const loaded = parsePipeline(original, file);
      if (!loaded.spec) {
        if (options.json) printJson({ file, migrated: false, written: false, diagnostics: loaded.diagnostics });
        else process.stdout.write(`${renderReport({ file, valid: false, migrated: false, diagnostics: loaded.diagnostics })}\n`);
        throw new CliExit(1);
      }
      if (!loaded.migrated) {
        if (options.json) printJson({ file, from: loaded.sourceVersion, to: CURRENT_PIPELINE_VERSION, migrated: false, written: false, steps: [], diff: '' });
        else process.stdout.write(`${file} is already at version ${CURRENT_PIPELINE_VERSION}: nothing to migrate\n`);
        return;
      }
      // One migration for the diff, the report and the write: a collision fallback name is random.
      const { spec, steps } = migratePipeline(loaded.raw);
      const diagnostics = validatePipeline(spec, file);
      const text = serializePipeline(spec, original);
      const diff = unifiedDiff(original, text, file);
      const invalid = hasErrors(diagnostics);
      let written = false;
      if (options.yes && !invalid) {
        await writePipelineFile(file, spec, { expectedContent: original });
        written = true;
      }
      if (options.json) {
        printJson({ file, from: loaded.sourceVersion, to: CURRENT_PIPELINE_VERSION, migrated: true, written, steps, diff, diagnostics });
      } else {
        const out = [c.bold(`${file}: version ${loaded.sourceVersion} -> ${CURRENT_PIPELINE_VERSION}`), ...steps.map((s) => `  - ${s}`), '', colorDiff(diff)];
        if (invalid) out.push(renderReport({ file, valid: false, migrated: true, sourceVersion: loaded.sourceVersion, diagnostics }), '', c.red('not written: fix the errors above first'));
        else if (written) out.push(`${c.green('written')} ${file}`);
        else out.push(`not written; run again with --yes to write it`);
        process.stdout.write(`${out.join('\n')}\n`);
      }
      if (invalid) throw new CliExit(1);
    });
}

function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? c.green(line) : line.startsWith('-') && !line.startsWith('---') ? c.red(line) : line.startsWith('@@') ? c.cyan(line) : line))
    .join('\n');
}
