/** Reading pipeline files: JSON text -> raw object -> migrated spec + every diagnostic. */
import { readFile, stat } from 'node:fs/promises';
import { SpecError } from './errors.ts';
import { messageFor } from './messages.ts';
import { migratePipeline } from './migrate.ts';
import type { Diagnostic, LoadedPipeline } from './types.ts';
import { checkLimits, DiagnosticList, validatePipeline, type ValidateOptions } from './validate.ts';
import { MAX_PIPELINE_FILE_BYTES, utf8Bytes } from './limits.ts';

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function syntaxDiagnostic(text: string, file: string, error: SyntaxError): Diagnostic {
  // V8 says "... in JSON at position N" (Node 20) and sometimes "(line L column C)" (Node 22).
  const explicit = /line (\d+) column (\d+)/.exec(error.message);
  const offset = /position (\d+)/.exec(error.message);
  const { line, column } = explicit
    ? { line: Number(explicit[1]), column: Number(explicit[2]) }
    : positionOf(text, offset ? Number(offset[1]) : text.length);
  const reason = error.message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
  const { message, hint } = messageFor('BERTH_SPEC_JSON_SYNTAX', { path: '', value: undefined, extra: `${reason} at line ${line}, column ${column}` });
  return { severity: 'error', code: 'BERTH_SPEC_JSON_SYNTAX', file, path: '', message, hint, line, column };
}

/** Parses, migrates (in memory) and validates a pipeline file's text. Pure and synchronous. */
function tooLarge(file: string, size: number): LoadedPipeline {
  const extra = `${size} bytes; Berth reads pipeline files of up to ${MAX_PIPELINE_FILE_BYTES} bytes (1 MiB)`;
  const { message, hint } = messageFor('BERTH_SPEC_FILE_TOO_LARGE', { path: '', value: undefined, extra });
  return { file, raw: {}, sourceVersion: '1.0.0', migrated: false, diagnostics: [{ severity: 'error', code: 'BERTH_SPEC_FILE_TOO_LARGE', file, path: '', message, hint }] };
}

export function parsePipeline(text: string, file: string, options: ValidateOptions = {}): LoadedPipeline {
  // A string of N characters is at least N bytes: the exact count only when it could be over.
  if (text.length > MAX_PIPELINE_FILE_BYTES / 4 && utf8Bytes(text) > MAX_PIPELINE_FILE_BYTES) {
    return tooLarge(file, utf8Bytes(text));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { file, raw: {}, sourceVersion: '1.0.0', migrated: false, diagnostics: [syntaxDiagnostic(text, file, error as SyntaxError)] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const diagnostics = validatePipeline(parsed, file, options);
    return { file, raw: {}, sourceVersion: '1.0.0', migrated: false, diagnostics };
  }
  const raw = parsed as Record<string, unknown>;
  // Migration walks the file too: a too-deep or oversized one is refused before it.
  const limits = new DiagnosticList(file, raw);
  if (!checkLimits(limits, raw)) return { file, raw: {}, sourceVersion: '1.0.0', migrated: false, diagnostics: limits.sorted() };
  try {
    const migration = migratePipeline(raw);
    return {
      file,
      raw,
      spec: migration.spec,
      sourceVersion: migration.sourceVersion,
      migrated: migration.changed,
      diagnostics: validatePipeline(migration.spec, file, options),
    };
  } catch (error) {
    if (!(error instanceof SpecError) || error.code !== 'BERTH_SPEC_VERSION_UNKNOWN') throw error;
    // The error renders from the diagnostic's entry, so its words are the diagnostic's.
    const { message, hint } = error;
    const sourceVersion = String(raw.version);
    return { file, raw, sourceVersion, migrated: false, diagnostics: [{ severity: 'error', code: error.code, file, path: 'version', message, hint }] };
  }
}

/** Parses a file's text: parsePipeline, or the same on another thread (reader.ts). */
export type ParseText = (text: string, file: string, options: ValidateOptions) => LoadedPipeline | Promise<LoadedPipeline>;

/** Reads a pipeline file from disk; the diagnostics say what is wrong with its content. */
export async function loadPipelineFile(path: string, options: ValidateOptions = {}, parse: ParseText = parsePipeline): Promise<LoadedPipeline> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_PIPELINE_FILE_BYTES) return tooLarge(path, size);
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SpecError('BERTH_SPEC_READ_FAILED', { path, reason: (cause as Error).message, missing: code === 'ENOENT' }, { cause });
  }
  return await parse(text, path, options);
}
