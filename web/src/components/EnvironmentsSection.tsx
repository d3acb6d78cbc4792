/**
 * A project's environments (base image + setup script, built into an image that services use as
 * `environment@<uuid>`). Shown only when the server has the environments API: older servers and
 * builds without it answer 404 for the route, and the section stays away instead of erroring.
 */
import { api, ApiFailure, enc } from '../api.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { StatusBadge } from './StatusBadge.tsx';

export interface EnvironmentInfo {
  uuid: string;
  name?: string;
  base_image?: string;
  baseImage?: string;
  build?: { status?: string; image?: string | null } | null;
  status?: string;
}

export async function fetchEnvironments(project: string): Promise<EnvironmentInfo[] | null> {
  try {
    const body = await api<{ environments?: EnvironmentInfo[] }>('GET', `/api/projects/${enc(project)}/environments`);
    return body.environments ?? [];
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && !/PROJECT_NOT_FOUND/.test(error.code)) return null;
    throw error;
  }
}

const BUILD_STATUS: Record<string, string> = { success: 'ready', built: 'ready', ready: 'ready', building: 'starting', pending: 'starting', failure: 'failed', failed: 'failed' };

export function EnvironmentsSection(props: { project: string }) {
  const environments = useAsync(() => fetchEnvironments(props.project), props.project);
  if (environments.data === null) return null;
  if (!environments.data && !environments.error) return null;
  return (
    <>
      <h2>Environments</h2>
      {environments.error ? <ErrorNote error={environments.error} /> : null}
      {environments.data && environments.data.length === 0 ? (
        <p className="empty">
          No environments. A service can use one as its image with <code>environment@&lt;uuid&gt;</code>.
        </p>
      ) : null}
      {environments.data && environments.data.length > 0 ? (
        <ul className="card-list" aria-label="Environments">
          {environments.data.map((env) => {
            const status = env.build?.status ?? env.status ?? 'not built';
            return (
              <li key={env.uuid} className="card">
                <div className="row-between">
                  <strong>{env.name ?? env.uuid}</strong>
                  <StatusBadge status={BUILD_STATUS[status] ?? 'stopped'} label={status} />
                </div>
                <div className="muted small-text">
                  <span className="mono">environment@{env.uuid}</span> · base {env.base_image ?? env.baseImage ?? '?'}
                </div>
              </li>
            );
          })}
        </ul>
      ) : null}
    </>
  );
}
