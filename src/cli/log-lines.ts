/**
 * Human log lines for `berth serve` on a terminal, without pino-pretty: a pino destination that
 * turns each JSON record into `12:03:04 WARN  message key=value …`. Stacks only for errors with
 * BERTH_DEBUG set; everything else about an error is its message (and code, when it has one).
 */
import pc from 'picocolors';

type Colors = ReturnType<typeof pc.createColors>;

/** Fields pino adds to every record, or that the line shows in its own place. */
const FRAME_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err', 'v']);

const LEVELS: Record<number, { name: string; paint: (c: Colors, text: string) => string }> = {
  10: { name: 'TRACE', paint: (c, t) => c.dim(t) },
  20: { name: 'DEBUG', paint: (c, t) => c.dim(t) },
  30: { name: 'INFO', paint: (c, t) => c.green(t) },
  40: { name: 'WARN', paint: (c, t) => c.yellow(t) },
  50: { name: 'ERROR', paint: (c, t) => c.red(t) },
  60: { name: 'FATAL', paint: (c, t) => c.bgRed(c.white(t)) },
};

export interface LogLineOptions {
  colors: boolean;
  /** Print error stacks (BERTH_DEBUG). */
  stacks: boolean;
}

interface ErrorRecord {
  message?: string;
  code?: string;
  stack?: string;
  hint?: string;
}

/** One JSON record as one (or, with a stack, several) human lines; text that is not JSON passes through. */
export function formatLogLine(json: string, options: LogLineOptions): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const c = pc.createColors(options.colors);
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level ?? '?'), paint: (_c: Colors, t: string) => t };
  const time = typeof record.time === 'number' ? new Date(record.time).toTimeString().slice(0, 8) : '';
  const parts = [c.dim(time), level.paint(c, level.name.padEnd(5)), String(record.msg ?? '')];
  const err = record.err as ErrorRecord | undefined;
  if (err && typeof err === 'object') parts.push(c.red(`${err.code ? `[${err.code}] ` : ''}${err.message ?? ''}`.trim()));
  for (const [key, value] of Object.entries(record)) {
    if (FRAME_FIELDS.has(key) || value === undefined) continue;
    parts.push(c.dim(`${key}=${typeof value === 'string' ? quoteIfNeeded(value) : JSON.stringify(value)}`));
  }
  let line = parts.filter((part) => part !== '').join(' ');
  if (options.stacks && Number(record.level) >= 50 && err?.stack) line += `\n${c.dim(err.stack)}`;
  return `${line}\n`;
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"=]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
}

/** A pino destination (anything with `write`) that formats each record onto `out`. */
export function humanLogDestination(out: NodeJS.WritableStream & { isTTY?: boolean }, stacks = Boolean(process.env.BERTH_DEBUG)): { write(chunk: string): boolean } {
  const options: LogLineOptions = { colors: Boolean(out.isTTY) && !process.env.NO_COLOR, stacks };
  return {
    write(chunk: string) {
      // pino writes one record per call, each ending in a newline.
      return out.write(
        chunk
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => formatLogLine(line, options))
          .join(''),
      );
    },
  };
}

export type LogFormat = 'auto' | 'pretty' | 'json';

/** `auto`: human lines on a terminal, JSON lines when piped to a file or a collector. */
export function usePrettyLogs(format: LogFormat, out: { isTTY?: boolean }): boolean {
  return format === 'pretty' || (format === 'auto' && Boolean(out.isTTY));
}
