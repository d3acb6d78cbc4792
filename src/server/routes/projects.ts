/**
 * Projects, their pipelines, and project/pipeline env vars (secrets: stored by Berth, never in
 * the project directory; listings show names only unless `?reveal=1`).
 */
import type { FastifyInstance } from 'fastify';
import type { CoreStore } from '../../store/index.ts';
import { STARTERS, type Projects } from '../projects.ts';
import { ApiError } from '../errors.ts';
import * as schemas from './schemas.ts';
import type { CreateProjectBody, EnvVarBody, EnvVarParams, ProjectParams, RevealQuery } from './schemas.ts';

const ENV_NAME = /^[0-9a-zA-Z\-_]+$/;

export function registerProjectRoutes(app: FastifyInstance, deps: { store: CoreStore; projects: Projects }): void {
  const { store, projects } = deps;

  app.get('/api/projects', { schema: schemas.listProjects }, async () => ({ projects: store.listProjects() }));

  // {path, name?} registers an existing directory; {name, starter} creates a new project from a starter.
  app.post<{ Body: CreateProjectBody }>('/api/projects', { schema: schemas.createProject }, async (request, reply) => {
    const body = request.body;
    if (body.starter !== undefined && body.name) {
      return reply.code(201).send({ project: await projects.create(body.name, body.starter) });
    }
    if (!body.path) {
      throw new ApiError('BERTH_API_BAD_REQUEST', { needs: 'path-or-starter', starters: STARTERS });
    }
    return reply.code(201).send({ project: await projects.add(body.path, body.name) });
  });

  app.get('/api/starters', { schema: schemas.listStarters }, async () => ({ starters: STARTERS }));

  app.get<{ Params: ProjectParams }>('/api/projects/:project', { schema: schemas.getProject }, async (request) => {
    const project = projects.get(request.params.project);
    return { project };
  });

  app.delete<{ Params: ProjectParams }>('/api/projects/:project', { schema: schemas.removeProject }, async (request) => {
    const project = projects.get(request.params.project);
    store.removeProject(project.uuid);
    return { removed: project };
  });

  app.get<{ Params: ProjectParams }>('/api/projects/:project/pipelines', { schema: schemas.listPipelines }, async (request) => {
    const project = projects.get(request.params.project);
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
  const set = async (params: EnvVarParams, body: EnvVarBody) => {
    if (!ENV_NAME.test(params.name)) {
      throw new ApiError('BERTH_API_ENV_NAME_INVALID', { name: params.name });
    }
    const value: unknown = body.value;
    if (typeof value !== 'string') throw new ApiError('BERTH_API_BAD_REQUEST', { needs: 'value' });
    const { project, pipelineUuid } = await scope(params);
    store.setEnvVar(project.uuid, pipelineUuid, params.name, value);
    return { name: params.name, set: true };
  };
  const unset = async (params: EnvVarParams) => {
    const { project, pipelineUuid } = await scope(params);
    if (!store.unsetEnvVar(project.uuid, pipelineUuid, params.name)) {
      throw new ApiError('BERTH_API_ENV_NOT_FOUND', { name: params.name });
    }
    return { name: params.name, unset: true };
  };
  type Listing = { Params: ProjectParams & { pipeline?: string }; Querystring: RevealQuery };
  type Setting = { Params: EnvVarParams; Body: EnvVarBody };
  app.get<Listing>('/api/projects/:project/env', { schema: schemas.listProjectEnv }, async (r) => list(r.params, r.query.reveal === '1'));
  app.put<Setting>('/api/projects/:project/env/:name', { schema: schemas.setProjectEnv }, async (r) => set(r.params, r.body));
  app.delete<{ Params: EnvVarParams }>('/api/projects/:project/env/:name', { schema: schemas.unsetProjectEnv }, async (r) => unset(r.params));
  app.get<Listing>('/api/projects/:project/pipelines/:pipeline/env', { schema: schemas.listPipelineEnv }, async (r) => list(r.params, r.query.reveal === '1'));
  app.put<Setting>('/api/projects/:project/pipelines/:pipeline/env/:name', { schema: schemas.setPipelineEnv }, async (r) => set(r.params, r.body));
  app.delete<{ Params: EnvVarParams }>('/api/projects/:project/pipelines/:pipeline/env/:name', { schema: schemas.unsetPipelineEnv }, async (r) =>
    unset(r.params),
  );
}
