/**
 * `berth serve`: one process, one port. Requests for service URLs go to the proxy's data plane
 * first (no framework on that path); everything else is the Fastify app (API, login, UI).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createEngineImageBuilder } from '../runtime/index.ts';
import { createProxy, prepareServer, RouteTable, type ProxyRoute } from '../proxy/index.ts';
import { SessionManager } from '../sessions/index.ts';
import { CoreStore, coreMigrations, openDatabase, type Db } from '../store/index.ts';
import { BerthError, toBerthError } from '../shared/index.ts';
import { authMigrations, createAuth, stripSessionCookie, type Auth } from './auth/index.ts';
import { environmentMigrations, resolveEnvironmentImage } from '../environments/index.ts';
import { chooseRuntime, findEngineSocket, type RuntimeChoice } from './runtime-choice.ts';
import { Projects } from './projects.ts';
import { registerProjectRoutes } from './routes/projects.ts';
import { registerSessionRoutes } from './routes/sessions.ts';
import { registerEnvironmentRoutes } from './routes/environments.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { Jobs, jobMigrations } from '../jobs/index.ts';
import { registerPipelineRoutes } from './routes/pipelines.ts';
import { registerUi } from './ui.ts';
import { statusForError } from './errors.ts';

export interface ServerOptions {
  host?: string;
  port?: number;
  dataDir: string;
  runtime?: RuntimeChoice;
  dockerHost?: string;
  logger?: Logger;
  /** false disables login (BERTH_AUTH=off): printed loudly. */
  auth?: boolean;
  graceMs?: number;
  /** Environment variables the runtime reads (BERTH_K8S_*); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Behind a TLS-terminating reverse proxy: services get its X-Forwarded-Proto/-Host (`--trust-proxy`). */
  trustProxy?: boolean;
}

export interface BerthServer {
  url: string;
  app: FastifyInstance;
  server: Server;
  db: Db;
  store: CoreStore;
  projects: Projects;
  sessions: SessionManager;
  jobs: Jobs;
  auth: Auth;
  routes: RouteTable;
  runtimeDescription: string;
  loginToken?: string;
  authWarning?: string;
  /** Stops serving; services keep running and are adopted at the next start. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<BerthServer> {
  const logger = options.logger ?? pino({ level: process.env.BERTH_LOG_LEVEL ?? 'info' });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(options.dataDir, 'berth.db'), [coreMigrations, authMigrations, environmentMigrations, jobMigrations]);
  const store = new CoreStore(db);
  const installationId = store.installationId();
  const sharedDataDir = join(options.dataDir, 'data');
  await mkdir(sharedDataDir, { recursive: true });

  const { runtime, description: runtimeDescription, socketPath: engineSocket, runsDir } = await chooseRuntime({
    choice: options.runtime ?? 'auto',
    stateDir: join(options.dataDir, 'runtime'),
    installationId,
    ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.env ? { env: options.env } : {}),
  });
  // One lookup of an environment's newest built image, for services (sessions) and steps (jobs).
  const environmentImage = (projectUuid: string, environmentUuid: string) => resolveEnvironmentImage(db, projectUuid, environmentUuid);
  const sessions = new SessionManager({
    store,
    runtime,
    installationId,
    stateDir: options.dataDir,
    sharedDataDir,
    logger: logger.child({ component: 'sessions' }),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    resolveEnvironmentImages: (projectUuid, uuids) => Object.fromEntries(uuids.map((uuid) => [uuid, environmentImage(projectUuid, uuid)])),
  });
  const auth = createAuth({ db, dataDir: options.dataDir, enabled: options.auth ?? process.env.BERTH_AUTH !== 'off' });
  const { loginToken, warning: authWarning } = auth.bootstrap();
  let serverUrl = '';
  const jobs = new Jobs({
    db,
    store,
    sessions,
    dataDir: options.dataDir,
    sharedDataDir,
    apiUrl: () => serverUrl,
    resolveEnvironmentImage: environmentImage,
    issueSessionToken: (sid) => auth.issueSessionToken(sid),
    revokeSessionTokens: (sid) => void auth.revokeSessionTokens(sid),
    logger: logger.child({ component: 'jobs' }),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(engineSocket ? { engineSocket } : {}),
    ...(runsDir ? { runsDir } : {}),
  });
  const projects = new Projects(store, join(options.dataDir, 'projects'));

  const routes = new RouteTable();
  const proxy = createProxy({
    table: routes,
    authorize: (req, route) => auth.authorizeProxy(req, route),
    // Berth's session cookie and API tokens are for Berth: a service never sees them.
    credentials: { cookie: stripSessionCookie, dropAuthorization: (req) => auth.authenticate(req)?.via === 'bearer' },
    trustForwardedHeaders: options.trustProxy ?? false,
    onError: (error, req) => logger.warn({ err: error, url: req.url }, 'proxy authorization failed'),
  });
  const syncRoutes = (sessionUuid: string) => syncSessionRoutes(routes, sessions, sessionUuid);
  sessions.on('event', (event) => {
    if (event.type !== 'progress') syncRoutes(event.sessionUuid);
    // Tokens handed to a session's steps die with the session.
    if (event.type === 'session' && event.status === 'stopped') auth.revokeSessionTokens(event.sessionUuid);
  });

  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Per-request lines would drown the log; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler) => {
      const server = createServer(function berthRequest(req, res) {
        if (!proxy.handleRequest(req, res)) handler(req, res);
      });
      prepareServer(server);
      return server;
    },
  });
  app.server.on('upgrade', function berthUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  app.setErrorHandler(function berthErrorHandler(error, _request, reply) {
    const berthError = error instanceof BerthError ? error : toBerthError(error);
    const validation = (error as { validation?: unknown }).validation;
    const status = validation ? 400 : error instanceof BerthError ? statusForError(berthError) : ((error as { statusCode?: number }).statusCode ?? 500);
    if (status >= 500) reply.log.error({ err: error }, 'request failed');
    void reply.code(status).send({ error: berthError.toJSON() });
  });

  auth.register(app);
  app.get('/api/health', async () => ({ ok: true, version: '0.1.0', apiVersion: 1, runtime: runtime.kind, runtimeDescription }));
  registerProjectRoutes(app, { store, projects });
  registerSessionRoutes(app, {
    store,
    projects,
    sessions,
    assertSessionAccess: (request, sessionUuid) => auth.assertSessionAccess((request as { principal?: never }).principal ?? null, sessionUuid),
  });
  registerJobRoutes(app, { store, projects, jobs });
  registerPipelineRoutes(app, { projects });
  registerEnvironmentRoutes(app, {
    db,
    projects,
    imageBuilder: async () => {
      if (runtime.imageBuilder) return runtime.imageBuilder();
      const socketPath = await findEngineSocket(options.dockerHost);
      return socketPath === undefined ? undefined : createEngineImageBuilder(socketPath);
    },
    imageInUse: (image) => sessions.list({ activeOnly: true }).some((s) => sessions.plan(s.uuid).services.some((service) => service.image === image)),
  });
  // Last: the UI answers every other GET (SPA fallback to index.html; /api/* stays JSON 404).
  registerUi(app);

  await sessions.recover();
  await jobs.recover();
  for (const session of sessions.list({ activeOnly: true })) syncRoutes(session.uuid);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8765 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8765);
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  serverUrl = url;
  logger.info({ url, runtime: runtimeDescription }, 'Berth is serving');

  return {
    url,
    app,
    server: app.server,
    db,
    store,
    projects,
    sessions,
    jobs,
    auth,
    routes,
    runtimeDescription,
    ...(loginToken ? { loginToken } : {}),
    ...(authWarning ? { authWarning } : {}),
    async close() {
      await jobs.close();
      await sessions.close();
      await proxy.close();
      // Open event streams and followed logs would keep the server from closing: end them.
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      await runtime.close();
      db.close();
    },
  };
}

/** Mirrors one session's exposed ports into the proxy's route table. */
function syncSessionRoutes(table: RouteTable, sessions: SessionManager, sessionUuid: string): void {
  table.removeSession(sessionUuid);
  const session = sessions.find(sessionUuid);
  if (!session || session.status === 'stopped' || session.status === 'stopping') return;
  const view = sessions.get(sessionUuid);
  for (const service of sessions.plan(sessionUuid).services) {
    const record = view.services.find((s) => s.name === service.name);
    for (const route of service.routes) {
      const state: ProxyRoute['state'] =
        record?.status === 'ready' ? 'ready' : record?.status === 'failed' || record?.status === 'exited' ? 'failed' : 'starting';
      const target = record?.endpoints?.[String(route.port)];
      table.set({
        basePath: route.basePath,
        stripPrefix: route.stripPrefix,
        requiresAuthentication: route.requiresAuthentication,
        sessionUuid,
        service: service.name,
        port: route.port,
        state,
        ...(record?.reason ? { reason: record.reason } : {}),
        ...(state === 'ready' && target ? { target } : {}),
      });
    }
  }
}
