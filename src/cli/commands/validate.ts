/** `berth validate FILE...`: every problem of every pipeline file, grouped per file; exit 1 when any has an error. */
import type { Command } from 'commander';
import { hasErrors, loadPipelineFile, SpecError, CURRENT_PIPELINE_VERSION, type Diagnostic, type LoadedPipeline, type ValidateOptions } from '../../spec/index.ts';
import { CliExit, colors as c, printJson } from '../output.ts';

interface FileReport {
  file: string;
  valid: boolean;
  sourceVersion?: string;
  migrated: boolean;
  diagnostics: Diagnostic[];
}

async function checkFile(file: string, options: ValidateOptions): Promise<FileReport> {
  let loaded: LoadedPipeline;
  try {
    loaded = await loadPipelineFile(file, options);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    const diagnostic: Diagnostic = { severity: 'error', code: error.code, file, path: '', message: error.message };
    if (error.hint !== undefined) diagnostic.hint = error.hint;
    return { file, valid: false, migrated: false, diagnostics: [diagnostic] };
  }
  return {
    file,
    valid: !hasErrors(loaded.diagnostics),
    sourceVersion: loaded.sourceVersion,
    migrated: loaded.migrated,
    diagnostics: loaded.diagnostics,
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function renderReport(report: FileReport): string {
  const errors = report.diagnostics.filter((d) => d.severity === 'error');
  const warnings = report.diagnostics.filter((d) => d.severity === 'warning');
  const summary = report.valid
    ? `${c.green('valid')}${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}`
    : `${c.red('invalid')}: ${plural(errors.length, 'error')}${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}`;
  const lines = [`${c.bold(report.file)}: ${summary}`];
  if (report.migrated && report.sourceVersion) {
    lines.push(`  ${c.dim(`version ${report.sourceVersion}, migrated to ${CURRENT_PIPELINE_VERSION} in memory; \`berth migrate ${report.file} --yes\` rewrites the file`)}`);
  }
  for (const d of [...errors, ...warnings]) {
    const label = d.severity === 'error' ? c.red('error  ') : c.yellow('warning');
    lines.push(`  ${label} ${d.message} ${c.dim(`[${d.code}]`)}`);
    if (d.hint) lines.push(`          ${c.cyan('hint:')} ${d.hint}`);
  }
  return lines.join('\n');
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check pipeline files (.orchest): every error and warning with its field path')
    .argument('<files...>', 'pipeline files')
    .option('--json', 'machine-readable output')
    .option('--runtime <kind>', "also check what this runtime refuses (kubernetes: env names the API server rejects; local: two services of a session on one port); a server applies its own runtime's rules")
    .action(async function validateFiles(files: string[], options: { json?: boolean; runtime?: string }) {
      const reports: FileReport[] = [];
      for (const file of files) reports.push(await checkFile(file, { runtime: options.runtime }));
      const valid = reports.every((r) => r.valid);
      if (options.json) printJson({ valid, files: reports });
      else process.stdout.write(`${reports.map(renderReport).join('\n\n')}\n`);
      if (!valid) throw new CliExit(1);
    });
}
