/**
 * Writing pipeline files the way their author (Orchest or a person) wrote them: the original key order,
 * indentation and final newline, so a save changes only what changed. Writes are atomic and happen only
 * after validation, and refuse to overwrite edits made on disk since the caller read the file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SpecError } from './errors.ts';
import type { PipelineSpec } from './types.ts';
import { hasErrors, validatePipeline } from './validate.ts';

export interface TextStyle {
  indent: string;
  trailingNewline: boolean;
  /** Orchest (Python's json.dump) escapes non-ASCII characters as \uXXXX. */
  asciiOnly: boolean;
}

/** Orchest writes 4 spaces; new files get a final newline like any text file. */
export const DEFAULT_STYLE: TextStyle = { indent: '    ', trailingNewline: true, asciiOnly: false };

export function detectStyle(text: string): TextStyle {
  const indent = /^[{[][ \t]*\r?\n([ \t]+)\S/.exec(text)?.[1] ?? DEFAULT_STYLE.indent;
  return { indent, trailingNewline: /\n$/.test(text), asciiOnly: /\\u[0-9a-fA-F]{4}/.test(text) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSorted(keys: string[]): boolean {
  return keys.every((key, i) => i === 0 || (keys[i - 1] as string) <= key);
}

/**
 * A copy of `value` whose object keys follow `template`'s order; keys the template lacks go after
 * them, in sorted position when the template's keys were sorted (Orchest sorts keys). Objects the
 * template lacks altogether follow the style of their parent.
 */
export function orderLike(value: unknown, template: unknown, parentSorted = false): unknown {
  if (Array.isArray(value)) {
    return value.map((item, i) => orderLike(item, Array.isArray(template) ? template[i] : undefined, parentSorted));
  }
  if (!isObject(value)) return value;
  const known = isObject(template) ? Object.keys(template).filter((key) => key in value) : [];
  const added = Object.keys(value).filter((key) => !known.includes(key));
  const sortedStyle = known.length < 2 ? parentSorted : isSorted(known);
  const keys = sortedStyle ? [...known, ...added].sort() : [...known, ...added];
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = orderLike(value[key], isObject(template) ? template[key] : undefined, sortedStyle);
  return out;
}

/** Serialises a spec, keeping the original text's key order and style; unchanged content gives the original text. */
export function serializePipeline(spec: PipelineSpec, originalText?: string): string {
  let original: unknown;
  if (originalText !== undefined) {
    try {
      original = JSON.parse(originalText);
    } catch {
      original = undefined;
    }
    if (original !== undefined && isDeepStrictEqual(original, spec)) return originalText;
  }
  const style = originalText === undefined ? DEFAULT_STYLE : detectStyle(originalText);
  let text = JSON.stringify(orderLike(spec, original), null, style.indent);
  if (style.asciiOnly) text = text.replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return style.trailingNewline ? `${text}\n` : text;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SpecError('BERTH_SPEC_READ_FAILED', { path, reason: (error as Error).message, writing: true }, { cause: error });
  }
}

export interface WriteOptions {
  /** The content the caller based its edit on; the write is refused when the file now differs. */
  expectedContent?: string;
}

/**
 * Writes to one path run one after another within this process, so the changed-on-disk check and the
 * rename of one save cannot interleave with another save of the same file.
 */
const writesInFlight = new Map<string, Promise<unknown>>();

/** Validates, then atomically replaces `path` (temp file in the same directory + rename). Returns the text written. */
export function writePipelineFile(path: string, spec: PipelineSpec, options: WriteOptions = {}): Promise<string> {
  const key = resolve(path);
  const previous = writesInFlight.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => writeNow(path, spec, options));
  writesInFlight.set(key, next);
  const forget = (): void => {
    if (writesInFlight.get(key) === next) writesInFlight.delete(key);
  };
  next.then(forget, forget);
  return next;
}

async function writeNow(path: string, spec: PipelineSpec, options: WriteOptions): Promise<string> {
  const diagnostics = validatePipeline(spec, path);
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    throw new SpecError('BERTH_SPEC_INVALID', { path, errors }, { details: diagnostics });
  }
  const current = await readIfExists(path);
  if (options.expectedContent !== undefined && current !== options.expectedContent) {
    throw new SpecError('BERTH_SPEC_CHANGED_ON_DISK', { path });
  }
  const text = serializePipeline(spec, current);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const mode = current === undefined ? 0o644 : (await stat(path)).mode & 0o777;
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new SpecError('BERTH_SPEC_WRITE_FAILED', { path, reason: (cause as Error).message }, { cause });
  }
  return text;
}
