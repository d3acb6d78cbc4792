/**
 * Environments API: the project's `.orchest/environments/<uuid>` definitions and their image
 * builds, over HTTP. The builds' lifecycle (background runs, cancel, live logs) is
 * src/environments/builds.ts; this file maps it to routes, statuses and a streamed log.
 */
import type { FastifyInstance } from 'fastify';
import {
  createEnvironment,
  deleteEnvironment,
  EnvironmentBuilds,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
  type EnvironmentBuild,
} from '../../environments/index.ts';
import type { ImageBuilder } from '../../runtime/index.ts';
import type { Db } from '../../store/index.ts';
import type { Projects } from '../projects.ts';
import { ApiError } from '../errors.ts';
import { strictId } from '../ids.ts';
import * as schemas from './schemas.ts';
import type { BuildParams, CreateEnvironmentBody, EnvironmentParams, ProjectParams, UpdateEnvironmentBody } from './schemas.ts';

export interface EnvironmentRoutesDeps {
  db: Db;
  projects: Projects;
  /** How builds run (the runtime's builder, else an engine that answers), or undefined when nothing can build. */
  imageBuilder: () => Promise<ImageBuilder | undefined>;
  /** True when an active session runs the image: a build's cleanup of older images keeps it. */
  imageInUse?: (image: string) => boolean;
}

export function registerEnvironmentRoutes(app: FastifyInstance, deps: EnvironmentRoutesDeps): void {
  const { projects } = deps;
  const builds = new EnvironmentBuilds({ db: deps.db, ...(deps.imageInUse ? { imageInUse: deps.imageInUse } : {}) });

  app.get<{ Params: ProjectParams }>('/api/projects/:project/environments', { schema: schemas.listEnvironments }, async (request) => {
    const project = projects.get(request.params.project);
    const environments = await listEnvironments(project.path);
    return {
      environments: environments.map((e) => ({ ...e.properties, ...builds.summary(project.uuid, e.properties.uuid) })),
    };
  });

  type Create = { Params: ProjectParams; Body: CreateEnvironmentBody };
  app.post<Create>('/api/projects/:project/environments', { schema: schemas.createEnvironment }, async (request, reply) => {
    const project = projects.get(request.params.project);
    const created = await createEnvironment(project.path, request.body);
    return reply.code(201).send({ environment: { ...created.properties, setupScript: created.setupScript } });
  });

  app.get<{ Params: EnvironmentParams }>('/api/projects/:project/environments/:env', { schema: schemas.getEnvironment }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const environment = await getEnvironment(project.path, params.env);
    return { environment: { ...environment.properties, setupScript: environment.setupScript, ...builds.summary(project.uuid, params.env) } };
  });

  type Update = { Params: EnvironmentParams; Body: UpdateEnvironmentBody };
  app.put<Update>('/api/projects/:project/environments/:env', { schema: schemas.updateEnvironment }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const updated = await updateEnvironment(project.path, params.env, request.body);
    return { environment: { ...updated.properties, setupScript: updated.setupScript } };
  });

  app.delete<{ Params: EnvironmentParams }>('/api/projects/:project/environments/:env', { schema: schemas.deleteEnvironment }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    await deleteEnvironment(project.path, params.env);
    return { deleted: params.env };
  });

  app.post<{ Params: EnvironmentParams }>('/api/projects/:project/environments/:env/builds', { schema: schemas.startBuild }, async (request, reply) => {
    const params = request.params;
    const project = projects.get(params.project);
    await getEnvironment(project.path, params.env); // 404 before anything starts
    const builder = await deps.imageBuilder();
    if (!builder) {
      throw new ApiError('BERTH_API_NO_ENGINE');
    }
    return reply.code(202).send({ build: builds.start(project, params.env, builder) });
  });

  app.post<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number/cancel', { schema: schemas.cancelBuild }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const number = buildNumber(params.number);
    const cancelled = await builds.cancel(project.uuid, params.env, number);
    if ('build' in cancelled) return { build: cancelled.build };
    if (cancelled.problem === 'not found') throw new ApiError('BERTH_API_BUILD_NOT_FOUND', { environmentUuid: params.env, number: params.number });
    throw new ApiError('BERTH_API_BUILD_NOT_RUNNING', { environmentUuid: params.env, number });
  });

  app.get<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number', { schema: schemas.getBuild }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const build = builds.get(project.uuid, params.env, buildNumber(params.number));
    if (!build) throw new ApiError('BERTH_API_BUILD_NOT_FOUND', { environmentUuid: params.env, number: params.number });
    return { build };
  });

  app.get<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number/log', { schema: schemas.buildLog }, async (request, reply) => {
    const params = request.params;
    const project = projects.get(params.project);
    const number = buildNumber(params.number);
    const live = builds.live(project.uuid, params.env, number);
    const stored = (): EnvironmentBuild | undefined => builds.get(project.uuid, params.env, number);
    if (!live) {
      const build = stored();
      if (!build) throw new ApiError('BERTH_API_BUILD_NOT_FOUND', { environmentUuid: params.env, number });
      reply.type('text/plain; charset=utf-8');
      return `${build.log}${build.log.endsWith('\n') || !build.log ? '' : '\n'}berth: build ${number} ${build.status}\n`;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    for (const line of live.lines) raw.write(`${line}\n`);
    const finish = () => raw.end(`berth: build ${number} ${stored()?.status ?? 'failed'}\n`);
    if (live.done) return finish();
    const unfollow = live.follow((line) => raw.write(`${line}\n`), finish);
    request.raw.on('close', unfollow);
  });
}

/** A build number from the URL: plain decimal digits only (`0x2` or `2e0` name no build). */
function buildNumber(text: string | undefined): number {
  const number = strictId(text ?? '');
  if (number === undefined) {
    throw new ApiError('BERTH_API_BAD_NUMBER', { text: text ?? '' });
  }
  return number;
}
