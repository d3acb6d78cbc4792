/**
 * Projects, their pipelines, and project/pipeline env vars (secrets: stored by Berth, never in
 * the project directory; listings show names only unless `?reveal=1`).
 */
import type { FastifyInstance } from 'fastify';
import type { CoreStore } from '../../store/index.ts';
import { STARTERS, type Projects, type Starter } from '../projects.ts';
import { ApiError } from '../errors.ts';

const ENV_NAME = /^[0-9a-zA-Z\-_]+$/;

export function registerProjectRoutes(app: FastifyInstance, deps: { store: CoreStore; projects: Projects }): void {
  const { store, projects } = deps;

  app.get('/api/projects', async () => ({ projects: store.listProjects() }));

  // {path, name?} registers an existing directory; {name, starter} creates a new project from a starter.
  app.post('/api/projects', async (request, reply) => {
    const body = (request.body ?? {}) as { path?: string; name?: string; starter?: Starter };
    if (body.starter !== undefined && body.name) {
      return reply.code(201).send({ project: await projects.create(body.name, body.starter) });
    }
    if (!body.path) {
      throw new ApiError('BERTH_API_BAD_REQUEST', 'body needs "path" (an existing directory) or "name" and "starter"', {
        hint: `{"path": "/home/me/project"} or {"name": "analysis", "starter": "${STARTERS.join('" | "')}"}`,
      });
    }
    return reply.code(201).send({ project: await projects.add(body.path, body.name) });
  });

  app.get('/api/starters', async () => ({ starters: STARTERS }));

  app.get('/api/projects/:project', async (request) => {
    const project = projects.get((request.params as { project: string }).project);
    return { project };
  });

  app.delete('/api/projects/:project', async (request) => {
    const project = projects.get((request.params as { project: string }).project);
    store.removeProject(project.uuid);
    return { removed: project };
  });

  app.get('/api/projects/:project/pipelines', async (request) => {
    const project = projects.get((request.params as { project: string }).project);
    const pipelines = await projects.pipelines(project);
    return {
      pipelines: pipelines.map((p) => ({
        path: p.path,
        uuid: p.loaded.spec?.uuid ?? null,
        name: p.loaded.spec?.name ?? null,
        version: p.loaded.sourceVersion,
        valid: !p.loaded.diagnostics.some((d) => d.severity === 'error'),
        diagnostics: p.loaded.diagnostics,
        services: Object.keys(p.loaded.spec?.services ?? {}),
      })),
    };
  });

  // Env vars: `pipeline` absent = project-level.
  const scope = async (params: { project: string; pipeline?: string }) => {
    const project = projects.get(params.project);
    const pipelineUuid = params.pipeline ? (await projects.pipeline(project, params.pipeline)).spec.uuid : '';
    return { project, pipelineUuid };
  };
  const list = async (params: { project: string; pipeline?: string }, reveal: boolean) => {
    const { project, pipelineUuid } = await scope(params);
    const vars = store.envVars(project.uuid, pipelineUuid);
    return { env: Object.entries(vars).map(([name, value]) => ({ name, ...(reveal ? { value } : {}) })) };
  };
  const set = async (params: { project: string; pipeline?: string; name: string }, body: unknown) => {
    if (!ENV_NAME.test(params.name)) {
      throw new ApiError('BERTH_API_ENV_NAME_INVALID', `env var name "${params.name}" is not valid`, {
        hint: 'use letters, digits, "-" and "_" only (Orchest\'s rule)',
      });
    }
    const value = (body as { value?: unknown } | undefined)?.value;
    if (typeof value !== 'string') throw new ApiError('BERTH_API_BAD_REQUEST', 'body needs a string "value"');
    const { project, pipelineUuid } = await scope(params);
    store.setEnvVar(project.uuid, pipelineUuid, params.name, value);
    return { name: params.name, set: true };
  };
  const unset = async (params: { project: string; pipeline?: string; name: string }) => {
    const { project, pipelineUuid } = await scope(params);
    if (!store.unsetEnvVar(project.uuid, pipelineUuid, params.name)) {
      throw new ApiError('BERTH_API_ENV_NOT_FOUND', `no env var "${params.name}" is set there`);
    }
    return { name: params.name, unset: true };
  };
  type P = { project: string; pipeline?: string; name: string };
  app.get('/api/projects/:project/env', async (r) => list(r.params as P, (r.query as { reveal?: string }).reveal === '1'));
  app.put('/api/projects/:project/env/:name', async (r) => set(r.params as P, r.body));
  app.delete('/api/projects/:project/env/:name', async (r) => unset(r.params as P));
  app.get('/api/projects/:project/pipelines/:pipeline/env', async (r) =>
    list(r.params as P, (r.query as { reveal?: string }).reveal === '1'),
  );
  app.put('/api/projects/:project/pipelines/:pipeline/env/:name', async (r) => set(r.params as P, r.body));
  app.delete('/api/projects/:project/pipelines/:pipeline/env/:name', async (r) => unset(r.params as P));
}
