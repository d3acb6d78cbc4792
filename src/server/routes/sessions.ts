/**
 * Session API: start, stop, restart, apply, status, logs and a server-sent event stream.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SessionError, sessionInfo, sessionInfoJson, type SessionEvent, type SessionManager } from '../../sessions/index.ts';
import type { CoreStore } from '../../store/index.ts';
import type { Projects } from '../projects.ts';
import { followFile, readTail } from '../log-files.ts';
import { queryCount } from '../ids.ts';
import * as schemas from './schemas.ts';
import type { EventsQuery, ListSessionsQuery, LogQuery, RestartBody, ServiceParams, SessionParams, StartSessionBody, UpdatesQuery } from './schemas.ts';

export interface SessionRoutesDeps {
  store: CoreStore;
  projects: Projects;
  sessions: SessionManager;
  /** Checks that a principal scoped to one session only reaches that session. */
  assertSessionAccess: (request: unknown, sessionUuid: string) => void;
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRoutesDeps): void {
  const { store, projects, sessions } = deps;

  app.get<{ Querystring: ListSessionsQuery }>('/api/sessions', { schema: schemas.listSessions }, async (request) => {
    const query = request.query;
    const projectUuid = query.project ? projects.get(query.project).uuid : undefined;
    return { sessions: sessions.list({ ...(projectUuid ? { projectUuid } : {}), activeOnly: query.all !== '1' }).map(sessionInfo) };
  });

  app.post<{ Body: StartSessionBody }>('/api/sessions', { schema: schemas.startSession }, async (request, reply) => {
    const { project, pipeline } = await projects.fromBody(request.body, '{"project": "demo", "pipeline": "demo.orchest"}');
    const session = await sessions.start({
      projectUuid: project.uuid,
      pipelinePath: pipeline.path,
      spec: pipeline.spec,
      projectDir: project.path,
      type: 'interactive',
      userEnv: store.mergedEnvVars(project.uuid, pipeline.spec.uuid),
    });
    // A 1,000-service answer is 0.7 MB: its JSON is made once per change and reused by the polls that follow.
    return reply.code(202).type('application/json; charset=utf-8').send(`{"session":${sessionInfoJson(session)}}`);
  });

  app.get<{ Params: SessionParams }>('/api/sessions/:sid', { schema: schemas.getSession }, async (request, reply) => {
    const { sid } = request.params;
    deps.assertSessionAccess(request, sid);
    const userServices = await sessions.userServicesJson(sid);
    const session = await sessions.view(sid);
    // Orchest's API named the started specs `user_services`; the Python SDK reads that key. Both parts
    // are serialised only where they changed since the last call; clients that follow a start poll
    // `/updates` instead, which sends only what changed.
    reply.type('application/json; charset=utf-8');
    return `{"session":${sessionInfoJson(session)},"user_services":${userServices}}`;
  });

  app.get<{ Params: SessionParams; Querystring: UpdatesQuery }>('/api/sessions/:sid/updates', { schema: schemas.sessionUpdates }, async (request, reply) => {
    const { sid } = request.params;
    deps.assertSessionAccess(request, sid);
    const { view, cursor, complete } = await sessions.updates(sid, request.query.since);
    reply.type('application/json; charset=utf-8');
    return `{"session":${sessionInfoJson(view)},"cursor":${JSON.stringify(cursor)},"complete":${complete}}`;
  });

  app.delete<{ Params: SessionParams }>('/api/sessions/:sid', { schema: schemas.stopSession }, async (request) => {
    const { sid } = request.params;
    return { session: sessionInfo(await sessions.stop(sid)) };
  });

  app.post<{ Params: SessionParams; Body: RestartBody }>('/api/sessions/:sid/restart', { schema: schemas.restartSession }, async (request, reply) => {
    const { sid } = request.params;
    const { service } = request.body;
    return reply.code(202).send({ session: sessionInfo(await sessions.restart(sid, service)) });
  });

  /** The session's pipeline file as it is now, in the shape apply takes. */
  async function currentInput(sid: string) {
    const record = sessions.find(sid);
    if (!record) throw new SessionError('BERTH_SESSION_NOT_FOUND', { sessionUuid: sid });
    const project = projects.get(record.projectUuid);
    const pipeline = await projects.pipeline(project, record.pipelinePath);
    return {
      projectUuid: project.uuid,
      pipelinePath: pipeline.path,
      spec: pipeline.spec,
      projectDir: project.path,
      userEnv: store.mergedEnvVars(project.uuid, pipeline.spec.uuid),
    };
  }

  app.post<{ Params: SessionParams }>('/api/sessions/:sid/apply', { schema: schemas.applySession }, async (request, reply) => {
    const { sid } = request.params;
    const diff = await sessions.apply(sid, await currentInput(sid));
    return reply.code(202).send({ diff, session: sessionInfo(sessions.get(sid)) });
  });

  /** What Apply would do now: the UI says the file changed since the session started, and which services. */
  app.get<{ Params: SessionParams }>('/api/sessions/:sid/changes', { schema: schemas.sessionChanges }, async (request) => {
    const { sid } = request.params;
    deps.assertSessionAccess(request, sid);
    return { diff: sessions.previewApply(sid, await currentInput(sid)) };
  });

  app.get<{ Params: ServiceParams; Querystring: LogQuery }>('/api/sessions/:sid/services/:name/logs', { schema: schemas.serviceLogs }, async (request, reply) => {
    const { sid, name } = request.params;
    deps.assertSessionAccess(request, sid);
    const query = request.query;
    const session = sessions.get(sid);
    const service = session.services.find((s) => s.name === name);
    if (!service) {
      throw new SessionError('BERTH_SESSION_NO_SUCH_SERVICE', { service: name, services: session.services.map((s) => s.name) });
    }
    const tail = queryCount(query.tail, 'tail');
    if (query.follow !== '1') {
      reply.type('text/plain; charset=utf-8');
      return readTail(service.logFile, tail);
    }
    return streamFollow(reply, service.logFile, tail, () => {
      const current = sessions.find(sid);
      return !current || current.status === 'stopped';
    });
  });

  app.get<{ Querystring: EventsQuery }>('/api/events', { schema: schemas.sessionEvents }, async (request, reply) => {
    const { session } = request.query;
    if (session) deps.assertSessionAccess(request, session);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    raw.write(': berth events\n\n');
    const onEvent = (event: SessionEvent) => {
      if (session && event.sessionUuid !== session) return;
      raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const keepAlive = setInterval(() => raw.write(': ping\n\n'), 15_000);
    sessions.on('event', onEvent);
    request.raw.on('close', function stopEvents() {
      clearInterval(keepAlive);
      sessions.off('event', onEvent);
    });
  });
}

function streamFollow(reply: FastifyReply, file: string, tail: number | undefined, ended: () => boolean): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  const controller = new AbortController();
  reply.request.raw.on('close', () => controller.abort());
  void followFile(file, { tail, signal: controller.signal, ended, write: (chunk) => raw.write(chunk) }).finally(() => raw.end());
}
