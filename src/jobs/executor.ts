/**
 * Step executors: run one step to completion with its env and a log file, and kill it on abort.
 * The local executor runs host processes (each in its own process group, so a step's children die
 * with it); on container runtimes the task executor (task-executor.ts) has the runtime run them
 * (docker: a container per step, kubernetes: a Pod per step).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RuntimeKind } from '../plan/index.ts';
import type { StepOutcome } from './dag.ts';
import { stepCommand } from './step-command.ts';
import type { StepEnvInput } from './step-env.ts';

export interface StepExecution {
  stepUuid: string;
  title: string;
  /** Relative to `cwd`. */
  filePath: string;
  /** The project directory the step sees (a run's copy, or the live project for interactive runs). */
  cwd: string;
  /** Full environment of the step (already ordered so ORCHEST_* cannot be shadowed). */
  env: Record<string, string>;
  logFile: string;
  /** Where an executed notebook goes; absent = in place. */
  notebookOutputDir?: string;
  /** Step's environment uuid (container runtimes run the step in that image). */
  environment: string;
  sessionUuid: string;
  projectUuid: string;
  /** What `env` was made from: container runtimes rebuild the env with their own paths. */
  envInput: StepEnvInput;
  signal: AbortSignal;
}

export interface StepExecutor {
  readonly kind: RuntimeKind;
  run(step: StepExecution): Promise<StepOutcome>;
}

export interface LocalExecutorOptions {
  /** SIGTERM first, SIGKILL after this long. */
  graceMs?: number;
  /**
   * The argv prefix that runs a program inside the step's session network (the local runtime's
   * isolated sessions: nsenter); undefined: the step runs on the host as it is.
   */
  enter?: (sessionUuid: string, options: { cwd: string; hostPorts: number[] }) => Promise<string[] | undefined>;
}

export function createLocalStepExecutor(options: LocalExecutorOptions = {}): StepExecutor {
  const graceMs = options.graceMs ?? 5_000;
  return {
    kind: 'local',
    run: function runLocalStep(step) {
      return runHostProcess(step, graceMs, options.enter);
    },
  };
}

/**
 * The step's log file, appended to: what the step prints goes to `log`; `finish` adds the reason
 * of a step that did not succeed as the last line and closes the file before the outcome is told.
 */
export async function openStepLog(logFile: string): Promise<{ log: WriteStream; finish: (outcome: StepOutcome) => Promise<StepOutcome> }> {
  await mkdir(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  return {
    log,
    async finish(outcome) {
      if (outcome.status !== 'succeeded' && outcome.reason) log.write(`\n[berth] ${outcome.reason}\n`);
      log.end();
      await once(log, 'close').catch(() => undefined);
      return outcome;
    },
  };
}

async function runHostProcess(step: StepExecution, graceMs: number, enter: LocalExecutorOptions['enter']): Promise<StepOutcome> {
  const { log, finish } = await openStepLog(step.logFile);
  try {
    await access(join(step.cwd, step.filePath));
  } catch {
    return finish({ status: 'failed', exitCode: null, reason: `step file ${step.filePath} does not exist in ${step.cwd}` });
  }
  let argv: string[];
  try {
    argv = stepCommand(step.filePath, step.notebookOutputDir ? { notebookOutputDir: step.notebookOutputDir } : {});
  } catch (error) {
    return finish({ status: 'failed', exitCode: null, reason: error instanceof Error ? error.message : String(error) });
  }
  if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled' });
  log.write(`[berth] ${new Date().toISOString()} step "${step.title}": ${argv.join(' ')}\n`);
  let prefix: string[];
  try {
    prefix = (await enter?.(step.sessionUuid, { cwd: step.cwd, hostPorts: loopbackPorts(step.env.BERTH_API_URL) })) ?? [];
  } catch (error) {
    return finish({ status: 'failed', exitCode: null, reason: `cannot enter the session's network: ${error instanceof Error ? error.message : String(error)}` });
  }
  const [file, ...args] = [...prefix, ...argv];
  const child = spawn(file!, args, {
    cwd: step.cwd,
    // The SDKs name services as Orchest did (`<name>-<sid>`) where the session has its own hosts file.
    env: prefix.length > 0 ? { ...step.env, BERTH_LOCAL_ISOLATION: 'namespace' } : step.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
    killTimer.unref();
  };
  step.signal.addEventListener('abort', kill, { once: true });
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  step.signal.removeEventListener('abort', kill);
  // The step's own children may outlive it: the whole process group goes with the step.
  signalGroup(child.pid, 'SIGKILL');
  if (killTimer) clearTimeout(killTimer);
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return finish({
      status: 'failed',
      exitCode: null,
      reason: missing ? `cannot run step "${step.title}": ${argv[0]} is not installed (not found on PATH)` : `cannot run step "${step.title}": ${result.error.message}`,
    });
  }
  if (step.signal.aborted) return finish({ status: 'cancelled', exitCode: result.code, reason: 'cancelled: the run was cancelled while the step ran' });
  if (result.code === 0) return finish({ status: 'succeeded', exitCode: 0 });
  return finish({
    status: 'failed',
    exitCode: result.code,
    reason: result.signal ? `step "${step.title}" was killed by ${result.signal}` : `step "${step.title}" exited with code ${result.code}`,
  });
}

/** The port of a loopback URL (Berth's API as steps see it), which a step in an isolated session must still reach. */
function loopbackPorts(url: string | undefined): number[] {
  if (!url) return [];
  try {
    const parsed = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return [];
    return [Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80))];
  } catch {
    return [];
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
