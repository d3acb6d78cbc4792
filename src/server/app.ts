/**
 * `berth serve`: one process, one port. Requests for service URLs go to the proxy's data plane
 * first (no framework on that path); everything else is the Fastify app (API, login, UI).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import { createEngineImageBuilder } from '../runtime/index.ts';
import { createProxy, isValidRequestTarget, prepareServer, RouteTable, withoutBerthCookieValues } from '../proxy/index.ts';
import { SessionManager } from '../sessions/index.ts';
import { CoreStore, coreMigrations, loadSecretKey, makePrivate, openDatabase, type Db } from '../store/index.ts';
import { BerthError, berthVersion, toBerthError } from '../shared/index.ts';
import { authMigrations, carriesTokenShapedBearer, createAuth, type Auth } from './auth/index.ts';
import { environmentMigrations, resolveEnvironmentImage } from '../environments/index.ts';
import { chooseRuntime, findEngineSocket, type RuntimeChoice } from './runtime-choice.ts';
import { Projects } from './projects.ts';
import { registerProjectRoutes } from './routes/projects.ts';
import { registerSessionRoutes } from './routes/sessions.ts';
import { registerEnvironmentRoutes } from './routes/environments.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { Jobs, jobMigrations } from '../jobs/index.ts';
import { registerPipelineRoutes } from './routes/pipelines.ts';
import { SessionRouteMirror } from './session-routes.ts';
import { createServiceOrigins, resolveServiceDomain, serviceOriginMigrations, type ServiceDomainChoice } from './service-origin/index.ts';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';
import { collectRoutes, registerOpenApiRoute } from './api-contract.ts';
import { HEALTH_SCHEMA } from './api-schemas.ts';
import { requestShapeError } from './request-shape.ts';
import { registerUi } from './ui.ts';
import { ApiError, statusForError } from './errors.ts';
import { frameworkError, guardUnauthenticatedBody, protectFraming, refuseBadTarget } from './hardening.ts';

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
  /** `--project-root` (repeatable): projects must lie inside one of these; system dirs and the data dir are refused anyway. */
  projectRoots?: string[];
  /** How long a request without a principal (sign-in, logout) may take to send its body; default 10 s. */
  bodyTimeoutMs?: number;
  /**
   * `--service-domain`: services on `<port>-<name>.<sid>.<domain>`; `off` keeps them on Berth's
   * origin. Default BERTH_SERVICE_DOMAIN, else `localhost` when listening on loopback (docs/security.md).
   */
  serviceDomain?: string;
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
  /** Whether services have their own origins, and under which domain. */
  serviceDomain: ServiceDomainChoice;
  /** Settles when the sessions and job runs found at start are adopted, restarted or ended (listening does not wait). */
  recovered: Promise<void>;
  loginToken?: string;
  authWarning?: string;
  /** Stops serving; services keep running and are adopted at the next start. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<BerthServer> {
  const logger = options.logger ?? pino({ level: process.env.BERTH_LOG_LEVEL ?? 'info' });
  // Checked first: a mistyped domain is refused before anything is opened or started.
  const serviceDomain = resolveServiceDomain(options.serviceDomain ?? (options.env ?? process.env).BERTH_SERVICE_DOMAIN, options.host ?? '127.0.0.1');
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const dbFile = join(options.dataDir, 'berth.db');
  const fresh = !existsSync(dbFile);
  const db = openDatabase(dbFile, [coreMigrations, authMigrations, serviceOriginMigrations, environmentMigrations, jobMigrations]);
  // After the open: the database, its WAL and shared memory all exist by now.
  const fixed = makePrivate(options.dataDir, [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]);
  // A database created just now got the umask's mode for an instant: only an older one is news.
  if (!fresh) for (const line of fixed) logger.warn(`Berth's state was readable by other users: ${line}`);
  const secretKey = loadSecretKey(options.dataDir, options.env ?? process.env);
  if (secretKey.note) logger.warn(secretKey.note);
  const store = new CoreStore(db, secretKey.box);
  const sealed = store.sealPlaintextSecrets();
  if (sealed > 0) logger.info({ sealed, keyFile: secretKey.file }, 'encrypted secrets (env var values, session plans) stored in plain text by an older Berth');
  const installationId = store.installationId();
  const sharedDataDir = join(options.dataDir, 'data');
  await mkdir(sharedDataDir, { recursive: true });

  const { runtime, description: runtimeDescription, runsDir, projectsDir, namespace } = await chooseRuntime({
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
  const auth = createAuth({
    db,
    dataDir: options.dataDir,
    enabled: options.auth ?? process.env.BERTH_AUTH !== 'off',
    // A sign-in whose `next` is a service path ends on that service's origin.
    ...(serviceDomain.mode === 'origins' ? { loginFormActions: `*.${serviceDomain.domain}:*` } : {}),
  });
  const { loginToken, warning: authWarning } = auth.bootstrap();
  let serverUrl = '';
  const jobs = new Jobs({
    db,
    store,
    secrets: secretKey.box,
    sessions,
    dataDir: options.dataDir,
    sharedDataDir,
    apiUrl: () => serverUrl,
    resolveEnvironmentImage: environmentImage,
    issueSessionToken: (sid) => auth.issueSessionToken(sid),
    revokeSessionTokens: (sid) => void auth.revokeSessionTokens(sid),
    logger: logger.child({ component: 'jobs' }),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(runsDir ? { runsDir } : {}),
    ...(namespace ? { namespace } : {}),
  });
  const sealedJobs = jobs.store.sealPlaintextEnv();
  if (sealedJobs > 0) logger.info({ sealed: sealedJobs, keyFile: secretKey.file }, 'encrypted job env stored in plain text by an older Berth');
  const projects = new Projects(store, projectsDir ?? join(options.dataDir, 'projects'), {
    dataDir: await realpath(options.dataDir),
    allowedRoots: await Promise.all((options.projectRoots ?? []).map(realProjectRoot)),
  }, runtime.kind);

  const routes = new RouteTable();
  const origins =
    serviceDomain.mode === 'origins'
      ? createServiceOrigins({ db, auth, domain: serviceDomain.domain, berthHost: serviceDomain.berthHost, trustProxy: options.trustProxy ?? false })
      : undefined;
  const proxy = createProxy({
    table: routes,
    authorize: (req, route) => auth.authorizeProxy(req, route),
    ...(origins ? { origins } : {}),
    // Berth's cookies (its session, the service hosts' grants) and API tokens are for Berth: a service never sees them.
    credentials: {
      cookie: withoutBerthCookieValues,
      dropAuthorization: (req) => auth.authenticate(req)?.via === 'bearer' || carriesTokenShapedBearer(req.headers.authorization),
    },
    trustForwardedHeaders: options.trustProxy ?? false,
    onError: (error, req) => logger.warn({ err: error, url: req.url }, 'proxy authorization failed'),
  });
  const mirror = new SessionRouteMirror(routes, sessions, runtime.dial?.bind(runtime));
  // Request validators are compiled on first use (an idle server never loads ajv); a server with
  // sessions to run will be polled, so it sets them up ahead, in turns, instead of in a request.
  const schemaCompilers = lazySchemaCompilers();
  sessions.on('event', (event) => {
    if (event.type === 'service') mirror.syncService(event.sessionUuid, event.service);
    else if (event.type === 'session') mirror.syncSession(event.sessionUuid);
    if (event.type === 'session' && event.status === 'starting') void schemaCompilers.warm();
    // Tokens handed to a session's steps die with the session.
    if (event.type === 'session' && event.status === 'stopped') auth.revokeSessionTokens(event.sessionUuid);
  });

  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Per-request lines would drown the log; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: schemaCompilers.factory },
    // A request of the wrong shape: 400 BERTH_API_BAD_REQUEST naming the field (`body.spec must be object`).
    schemaErrorFormatter: requestShapeError,
    // Fastify's own early refusals (a malformed URL escape) answer in Berth's error shape too.
    frameworkErrors: function berthFrameworkError(error, _request, reply) {
      const body = JSON.stringify({ error: (frameworkError(error) ?? toBerthError(error)).toJSON() });
      void (reply as FastifyReply).code(400).type('application/json; charset=utf-8').send(body);
    },
    serverFactory: (handler) => {
      const server = createServer(function berthRequest(req, res) {
        if (proxy.handleRequest(req, res)) return;
        if (!isValidRequestTarget(req.url ?? '')) return refuseBadTarget(res, req.url ?? '');
        // Only a trusted reverse proxy may say the browser used https (it makes cookies Secure).
        if (!options.trustProxy) delete req.headers['x-forwarded-proto'];
        handler(req, res);
      });
      prepareServer(server);
      return server;
    },
  });
  // Before any route: the OpenAPI document lists what Fastify registers from here on.
  const apiRoutes = collectRoutes(app);
  app.server.on('upgrade', function berthUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  app.setErrorHandler(function berthErrorHandler(error, _request, reply) {
    const berthError = error instanceof BerthError ? error : (frameworkError(error) ?? toBerthError(error));
    const validation = (error as { validation?: unknown }).validation;
    const status = validation ? 400 : error instanceof BerthError ? statusForError(berthError) : ((error as { statusCode?: number }).statusCode ?? 500);
    if (status >= 500) reply.log.error({ err: error }, 'request failed');
    void reply.code(status).send({ error: berthError.toJSON() });
  });

  auth.register(app);
  // After the auth hook: it decides who sent the request, and only requests without anyone are bounded.
  guardUnauthenticatedBody(app, options.bodyTimeoutMs ?? 10_000);
  protectFraming(app);
  // serviceDomain tells the UI where services live: its Open links then point at the service's own origin.
  const healthServiceDomain = serviceDomain.mode === 'origins' ? serviceDomain.domain : null;
  app.get('/api/health', { schema: HEALTH_SCHEMA }, async () => ({ ok: true, version: berthVersion(), apiVersion: 1, runtime: runtime.kind, runtimeDescription, serviceDomain: healthServiceDomain }));
  registerOpenApiRoute(app, apiRoutes);
  registerProjectRoutes(app, { store, projects });
  registerSessionRoutes(app, {
    store,
    projects,
    sessions,
    assertSessionAccess: (request, sessionUuid) => auth.assertSessionAccess((request as { principal?: never }).principal ?? null, sessionUuid),
  });
  registerJobRoutes(app, { store, projects, jobs });
  registerPipelineRoutes(app, { projects, runtimeKind: runtime.kind });
  registerEnvironmentRoutes(app, {
    db,
    projects,
    imageBuilder: async () => {
      if (runtime.imageBuilder) return runtime.imageBuilder();
      const socketPath = await findEngineSocket(options.dockerHost);
      return socketPath === undefined ? undefined : createEngineImageBuilder(socketPath);
    },
    imageInUse: (image) => sessions.records({ activeOnly: true }).some((s) => sessions.plan(s.uuid).services.some((service) => service.image === image)),
  });
  // Last: the UI answers every other GET (SPA fallback to index.html; /api/* stays JSON 404).
  registerUi(app);

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8765 });
  // Listening first: health, login and the UI answer while sessions are adopted or restarted, and
  // one slow or broken session never keeps the server from serving (each recovers on its own).
  const recovered = (async function recoverInBackground() {
    if (sessions.records({ activeOnly: true }).length > 0) void schemaCompilers.warm();
    await sessions.recover();
    await jobs.recover();
    for (const session of sessions.records({ activeOnly: true })) mirror.syncSession(session.uuid);
  })().catch((error: unknown) => logger.error({ err: error }, 'recovery failed'));
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
    serviceDomain,
    recovered,
    ...(loginToken ? { loginToken } : {}),
    ...(authWarning ? { authWarning } : {}),
    async close() {
      await recovered;
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

/** A `--project-root` as a real path; one that does not exist is the operator's typo, said by name. */
async function realProjectRoot(root: string): Promise<string> {
  try {
    return await realpath(resolve(root));
  } catch (cause) {
    throw new ApiError('BERTH_API_PROJECT_ROOT_INVALID', { root }, { cause });
  }
}
