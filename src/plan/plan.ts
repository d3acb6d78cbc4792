/**
 * planSession: PipelineSpec + SessionContext -> SessionPlan. Pure: the same inputs always give the
 * same plan, so every runtime runs services the same way and golden tests pin the result.
 */
import type { PipelineSpec, ServiceSpec } from '../spec/index.ts';
import { commandArgv, commandWarning, splitArgs } from './argv.ts';
import { assertNoDependencyCycle, dependencyWarning } from './dependencies.ts';
import { PlanError } from './errors.ts';
import { buildServiceEnv } from './env.ts';
import { canonicalJson, sha256Hex } from './hash.ts';
import { isValidHostname, MAX_HOSTNAME_LENGTH, routeBasePath, routeName, routePrefix, serviceHostname } from './naming.ts';
import { planMounts } from './mounts.ts';
import { resolveReadiness } from './readiness.ts';
import { sessionUuidFor } from './session-uuid.ts';
import { LABELS } from './types.ts';
import type { RoutePlan, ServicePlan, SessionContext, SessionPlan } from './types.ts';

export const ENVIRONMENT_IMAGE_PREFIX = 'environment@';

export function planSession(spec: PipelineSpec, ctx: SessionContext): SessionPlan {
  const steps = planSessionInSteps(spec, ctx);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * planSession one service at a time: it pauses after each, so that a caller on a server's event
 * loop can answer other requests while a pipeline of 1,000 services is planned (tens of ms).
 */
export function* planSessionInSteps(spec: PipelineSpec, ctx: SessionContext): Generator<void, SessionPlan, void> {
  const sessionUuid = sessionUuidFor(ctx);
  const warnings: string[] = [];
  const selected = Object.values(spec.services ?? {})
    .filter((service) => service.scope.includes(ctx.sessionType))
    // `order` is unique in a valid file; the name keeps an invalid one deterministic.
    .sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const planned = new Set(selected.map((s) => s.name));
  const services: ServicePlan[] = [];
  for (const service of selected) {
    services.push(planService(service, ctx, sessionUuid, planned, warnings));
    yield;
  }
  assertNoDependencyCycle(services, ctx.pipelinePath);
  return {
    sessionUuid,
    sessionType: ctx.sessionType,
    projectUuid: ctx.projectUuid,
    pipelineUuid: ctx.pipelineUuid,
    pipelinePath: ctx.pipelinePath,
    services,
    warnings,
  };
}

function planService(original: ServiceSpec, ctx: SessionContext, sessionUuid: string, planned: Set<string>, warnings: string[]): ServicePlan {
  const name = original.name;
  const preserveBasePath = original.preserve_base_path ?? false;
  // Before anything else, as Orchest did, so `$BASE_PATH_PREFIX` works in every field (orchest-compatibility.md: $BASE_PATH_PREFIX).
  const spec = substituteBasePathPrefix(original, routePrefix(name, sessionUuid, preserveBasePath));
  const where = `${ctx.pipelinePath}: services.${name}`;

  const hostname = serviceHostname(name, sessionUuid);
  if (!isValidHostname(hostname)) {
    throw new PlanError('BERTH_PLAN_HOSTNAME_INVALID', { where, hostname, maxLength: MAX_HOSTNAME_LENGTH }, {
      details: { path: `services.${name}.name`, hostname },
    });
  }

  const { image, environmentUuid } = resolveImage(spec.image, ctx, where, name);
  const command = commandArgv(spec.command);
  const commandProblem = commandWarning(name, spec.command);
  if (commandProblem) warnings.push(commandProblem);
  const args = splitArgs(spec.args, where, name);
  const { env, warnings: envWarnings } = buildServiceEnv({
    service: spec,
    userEnv: ctx.userEnv,
    sessionType: ctx.sessionType,
    projectUuid: ctx.projectUuid,
    pipelineUuid: ctx.pipelineUuid,
    sessionUuid,
    pipelinePath: ctx.pipelinePath,
  });
  warnings.push(...envWarnings);

  const ports = [...spec.ports];
  const requiresAuthentication = spec.requires_authentication ?? true;
  const routes: RoutePlan[] = spec.exposed
    ? ports.map((port) => ({
        port,
        name: routeName(name, sessionUuid, port, preserveBasePath),
        basePath: routeBasePath(name, sessionUuid, port, preserveBasePath),
        stripPrefix: !preserveBasePath,
        requiresAuthentication,
      }))
    : [];
  // A preserve_base_path app serves under its base path, so that is where its HTTP check looks by default.
  const readiness = resolveReadiness(spec.readiness, ports, (port) => (preserveBasePath ? `${routeBasePath(name, sessionUuid, port, true)}/` : '/'));

  const dependsOn: string[] = [];
  for (const dependency of spec.depends_on ?? []) {
    if (planned.has(dependency)) dependsOn.push(dependency);
    else warnings.push(dependencyWarning(ctx, name, dependency));
  }

  const withoutHash: Omit<ServicePlan, 'specHash'> = {
    name,
    sessionUuid,
    hostname,
    image,
    ...(environmentUuid === undefined ? {} : { environmentUuid }),
    ...(command === undefined ? {} : { command }),
    ...(args === undefined ? {} : { args }),
    env,
    mounts: planMounts(spec, ctx, where),
    ports,
    exposed: spec.exposed,
    requiresAuthentication,
    preserveBasePath,
    routes,
    readiness,
    dependsOn,
    labels: {
      [LABELS.installation]: ctx.installationId,
      [LABELS.project]: ctx.projectUuid,
      [LABELS.pipeline]: ctx.pipelineUuid,
      [LABELS.session]: sessionUuid,
      [LABELS.service]: name,
    },
    spec,
  };
  return { ...withoutHash, specHash: specHashOf(withoutHash) };
}

/**
 * Orchest's templating, byte for byte in effect: the service config as JSON text with every literal
 * `$BASE_PATH_PREFIX` replaced by `[pbp-]service-<name>-<sid>` (no leading slash; users append
 * `_<port>`). The prefix holds only `[a-z0-9-]`, so the JSON stays valid.
 */
export function substituteBasePathPrefix(service: ServiceSpec, prefix: string): ServiceSpec {
  return JSON.parse(JSON.stringify(service).replaceAll('$BASE_PATH_PREFIX', prefix)) as ServiceSpec;
}

function resolveImage(image: string, ctx: SessionContext, where: string, name: string): { image: string; environmentUuid?: string } {
  if (!image.startsWith(ENVIRONMENT_IMAGE_PREFIX)) return { image };
  const environmentUuid = image.slice(ENVIRONMENT_IMAGE_PREFIX.length);
  const pinned = ctx.environmentImages?.[environmentUuid];
  if (!pinned) {
    throw new PlanError('BERTH_PLAN_ENVIRONMENT_NOT_BUILT', { where, environmentUuid, image }, {
      details: { path: `services.${name}.image`, environmentUuid },
    });
  }
  return { image: pinned, environmentUuid };
}

/**
 * sha256 over what the running instance is made of: what runs (image, argv, env, mounts, ports,
 * host name, labels), how it is reached (routes) and how it is judged ready. Left out: `spec`
 * (its effect is already in the fields above; `order` only sorts UI rows and must not restart a
 * service) and `dependsOn` (start order only). Env is hashed by name because names are unique
 * and order does not reach the process.
 */
export function specHashOf(service: Omit<ServicePlan, 'specHash'>): string {
  const { spec: _spec, dependsOn: _dependsOn, env, ...rest } = service;
  const envByName = [...env].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sha256Hex(canonicalJson({ ...rest, env: envByName }));
}
