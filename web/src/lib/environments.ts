/**
 * The environments API as the UI uses it: the list fetch (null when the server has no
 * environments API), and the streamed build log with its closing `berth: build N <status>` line.
 * The shapes are the API contract's (src/api/types.ts).
 */
import { apiPath, ApiFailure, call, openStream, type BuildSummary, type EnvironmentDetail, type EnvironmentInfo } from '../api.ts';

export type { BuildSummary, EnvironmentDetail, EnvironmentInfo };

export async function fetchEnvironments(project: string): Promise<EnvironmentInfo[] | null> {
  try {
    const body = await call('listEnvironments', { project });
    return body.environments;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && !/PROJECT_NOT_FOUND/.test(error.code)) return null;
    throw error;
  }
}

/** Build states in the CLI's colours: succeeded green, building amber, failed red. */
export const BUILD_TONE: Record<string, string> = { succeeded: 'ready', building: 'starting', failed: 'failed', cancelled: 'stopped' };

export function lastBuild(env: Pick<EnvironmentDetail, 'builds'>): BuildSummary | undefined {
  return env.builds?.length ? env.builds.reduce((a, b) => (b.number > a.number ? b : a)) : undefined;
}

const END_LINE = /^berth: build (\d+) (\w+)$/m;

/** The status the log's last line announces, once the stream has ended. */
export function statusFromLog(text: string): string | null {
  const lines = text.trimEnd().split('\n');
  const found = END_LINE.exec(lines[lines.length - 1] ?? '');
  return found ? found[2]! : null;
}

/** Streams a build's log, calling onChunk as text arrives; resolves when the server ends it. */
export async function streamBuildLog(project: string, env: string, number: number, signal: AbortSignal, onChunk: (text: string) => void): Promise<void> {
  const reader = await openStream(apiPath('buildLog', { project, env, number }), signal);
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    onChunk(decoder.decode(value, { stream: true }));
  }
  const rest = decoder.decode();
  if (rest) onChunk(rest);
}
