/**
 * Environments API: the project's `.orchest/environments/<uuid>` definitions and their image
 * builds. A build runs in the background; its log can be followed live while it runs and read
 * from the build record afterwards.
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import {
  buildEnvironment,
  createEnvironment,
  deleteEnvironment,
  EnvironmentError,
  environmentBuildStore,
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

/** Live builds: lines so far plus an emitter for followers. */
class ActiveBuilds {
  readonly #builds = new Map<string, { lines: string[]; events: EventEmitter; done: boolean; controller: AbortController }>();

  key(projectUuid: string, environmentUuid: string, number: number): string {
    return `${projectUuid}/${environmentUuid}/${number}`;
  }
  open(key: string) {
    const entry = { lines: [] as string[], events: new EventEmitter(), done: false, controller: new AbortController() };
    this.#builds.set(key, entry);
    return entry;
  }
  get(key: string) {
    return this.#builds.get(key);
  }
  close(key: string) {
    const entry = this.#builds.get(key);
    if (!entry) return;
    entry.done = true;
    entry.events.emit('done');
    // Followers that arrive later read the stored log; keep the entry briefly for the race.
    setTimeout(() => this.#builds.delete(key), 5_000).unref();
  }
}

export function registerEnvironmentRoutes(app: FastifyInstance, deps: EnvironmentRoutesDeps): void {
  const { db, projects } = deps;
  const store = environmentBuildStore(db);
  store.failInterrupted();
  const active = new ActiveBuilds();

  const withBuilds = (projectUuid: string, environmentUuid: string) => {
    const builds = store.list(projectUuid, environmentUuid).map(({ log: _log, ...rest }) => rest);
    const current = store.current(projectUuid, environmentUuid);
    return { builds, currentImage: current?.image ?? null };
  };

  app.get<{ Params: ProjectParams }>('/api/projects/:project/environments', { schema: schemas.listEnvironments }, async (request) => {
    const project = projects.get(request.params.project);
    const environments = await listEnvironments(project.path);
    return {
      environments: environments.map((e) => ({ ...e.properties, ...withBuilds(project.uuid, e.properties.uuid) })),
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
    return { environment: { ...environment.properties, setupScript: environment.setupScript, ...withBuilds(project.uuid, params.env) } };
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
      throw new ApiError('BERTH_API_NO_ENGINE', 'building an environment needs a container engine, and none answers', {
        hint: 'start Docker or `podman system service` (or set DOCKER_HOST), then build again',
      });
    }
    const number = (store.list(project.uuid, params.env).reduce((max, b) => Math.max(max, b.number), 0) ?? 0) + 1;
    const key = active.key(project.uuid, params.env, number);
    const live = active.open(key);
    void buildEnvironment({
      builder,
      projectDir: project.path,
      projectUuid: project.uuid,
      environmentUuid: params.env,
      db,
      signal: live.controller.signal,
      ...(deps.imageInUse ? { imageInUse: deps.imageInUse } : {}),
      onLog: (line) => {
        live.lines.push(line);
        live.events.emit('line', line);
      },
    })
      .catch((error: unknown) => {
        // A failed or cancelled build has said so in its log already; anything else (the environment vanished) has not.
        if (error instanceof EnvironmentError && ['BERTH_ENV_BUILD_FAILED', 'BERTH_ENV_BUILD_CANCELLED'].includes(error.code)) return;
        const message = error instanceof Error ? error.message : String(error);
        live.lines.push(`berth: ${message}`);
        live.events.emit('line', `berth: ${message}`);
      })
      .finally(() => active.close(key));
    return reply.code(202).send({ build: { number, status: 'building' } });
  });

  app.post<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number/cancel', { schema: schemas.cancelBuild }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const number = buildNumber(params.number);
    const live = active.get(active.key(project.uuid, params.env, number));
    if (!live || live.done) {
      if (!store.get(project.uuid, params.env, number)) throw new ApiError('BERTH_API_BUILD_NOT_FOUND', `environment ${params.env} has no build ${params.number}`);
      throw new ApiError('BERTH_API_BUILD_NOT_RUNNING', `build ${number} of environment ${params.env} is not running`, { hint: 'only a running build can be cancelled' });
    }
    live.controller.abort();
    // The builder stops (the engine's build request is aborted, the Kubernetes Job deleted) and the record says cancelled.
    await new Promise<void>((resolve) => (live.done ? resolve() : live.events.once('done', () => resolve())));
    return { build: store.get(project.uuid, params.env, number) };
  });

  app.get<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number', { schema: schemas.getBuild }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const build = store.get(project.uuid, params.env, buildNumber(params.number));
    if (!build) throw new ApiError('BERTH_API_BUILD_NOT_FOUND', `environment ${params.env} has no build ${params.number}`);
    return { build };
  });

  app.get<{ Params: BuildParams }>('/api/projects/:project/environments/:env/builds/:number/log', { schema: schemas.buildLog }, async (request, reply) => {
    const params = request.params;
    const project = projects.get(params.project);
    const number = buildNumber(params.number);
    const key = active.key(project.uuid, params.env, number);
    const live = active.get(key);
    const stored = (): EnvironmentBuild | undefined => store.get(project.uuid, params.env, number);
    if (!live) {
      const build = stored();
      if (!build) throw new ApiError('BERTH_API_BUILD_NOT_FOUND', `environment ${params.env} has no build ${number}`);
      reply.type('text/plain; charset=utf-8');
      return `${build.log}${build.log.endsWith('\n') || !build.log ? '' : '\n'}berth: build ${number} ${build.status}\n`;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    for (const line of live.lines) raw.write(`${line}\n`);
    const onLine = (line: string) => raw.write(`${line}\n`);
    const finish = () => {
      live.events.off('line', onLine);
      raw.end(`berth: build ${number} ${stored()?.status ?? 'failed'}\n`);
    };
    if (live.done) return finish();
    live.events.on('line', onLine);
    live.events.once('done', finish);
    request.raw.on('close', () => live.events.off('line', onLine));
  });
}

/** A build number from the URL: plain decimal digits only (`0x2` or `2e0` name no build). */
function buildNumber(text: string | undefined): number {
  const number = strictId(text ?? '');
  if (number === undefined) {
    throw new ApiError('BERTH_API_BAD_NUMBER', `build number ${JSON.stringify(text ?? '')} is not a plain decimal number`, {
      hint: 'use the "number" that the builds list shows, e.g. …/builds/3',
    });
  }
  return number;
}
