/** `exec` on the host: argv (no shell), combined output, the whole group killed on timeout. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { ExecResult } from '../types.ts';
import { RuntimeError } from '../errors.ts';

const MAX_OUTPUT = 1024 * 1024;
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

export interface HostExecOptions {
  service: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
}

/** An exec whose program does not exist: the same error whether spawn or a lookup before nsenter found out. */
export function execNotFound(service: string, file: string, argv: string[], cause?: Error): RuntimeError {
  return new RuntimeError('BERTH_RUNTIME_EXECUTABLE_NOT_FOUND', { run: 'host-exec', service, executable: file }, {
    ...(cause ? { cause } : {}),
    details: { service, argv },
  });
}

export function execOnHost(argv: string[], options: HostExecOptions): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) {
    return Promise.reject(new RuntimeError('BERTH_RUNTIME_EXEC_EMPTY', { service: options.service }));
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  return new Promise(function runExec(resolve, reject) {
    const child = spawn(file, args, {
      cwd: existsSync(options.cwd) ? options.cwd : '/',
      env: options.env,
      detached: true, // its own group, so a timeout kills what it started too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer): void => {
      if (size >= MAX_OUTPUT) return;
      chunks.push(chunk);
      size += chunk.length;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        cause.code === 'ENOENT'
          ? execNotFound(options.service, file, argv, cause)
          : new RuntimeError('BERTH_RUNTIME_EXEC_FAILED', { at: 'host', service: options.service, executable: file, reason: cause.message }, { cause, details: { service: options.service, argv } }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      if (timedOut) {
        reject(
          new RuntimeError('BERTH_RUNTIME_EXEC_TIMEOUT', { at: 'host', service: options.service, argv, timeoutMs }, {
            details: { service: options.service, argv, output },
          }),
        );
        return;
      }
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      resolve({ exitCode, output });
    });
  });
}
