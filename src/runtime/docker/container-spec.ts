/**
 * ServicePlan -> Engine API create body (pure, no I/O), so the mapping is tested without an engine.
 *
 * Entrypoint/Cmd follow Docker's own merge, which is also Kubernetes' (and so Orchest's) rule:
 * - neither set: the image's ENTRYPOINT and CMD run;
 * - only `command`: Entrypoint = command and the image's CMD is dropped (Docker does not merge the
 *   image CMD into an overridden entrypoint), like a k8s `command` without `args`;
 * - only `args`: the image's ENTRYPOINT runs with Cmd = args;
 * - both: Entrypoint = command, Cmd = args.
 */
import { type ServicePlan, LABELS } from '../../plan/index.ts';

export interface ContainerIdentity {
  /** `uid:gid` to run as, or undefined for the image's USER. */
  user?: string;
  /** Supplementary groups (the project directory's group, as Orchest's group_add did). */
  groupAdd?: string[];
}

export interface CreateContainerBody {
  Image: string;
  Hostname: string;
  Env: string[];
  Labels: Record<string, string>;
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  ExposedPorts: Record<string, Record<string, never>>;
  HostConfig: {
    Binds: string[];
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    NetworkMode: string;
    GroupAdd?: string[];
    RestartPolicy: { Name: string };
    Init?: boolean;
  };
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases: string[] }> };
}

export function networkName(sessionUuid: string): string {
  return `berth-${sessionUuid}`;
}

export function containerName(plan: Pick<ServicePlan, 'hostname'>): string {
  return `berth-${plan.hostname}`;
}

/** `NAME=value` entries in plan order; a later duplicate replaces the earlier value in place. */
export function envList(plan: Pick<ServicePlan, 'env'>): string[] {
  const merged = new Map<string, string>();
  for (const variable of plan.env) merged.set(variable.name, variable.value);
  return [...merged].map(([name, value]) => `${name}=${value}`);
}

export function portKey(port: number): string {
  return `${port}/tcp`;
}

export interface PortPublishing {
  /**
   * Publish each port on the host's loopback (an engine-chosen port). Only where Berth cannot reach
   * the session network (reach.ts): a published port is open to every local user and its proxy
   * blurs readiness.
   */
  publish: boolean;
}

export function createContainerBody(
  plan: ServicePlan,
  image: string,
  installationId: string,
  identity: ContainerIdentity = {},
  publishing: PortPublishing = { publish: true },
): CreateContainerBody {
  const network = networkName(plan.sessionUuid);
  const body: CreateContainerBody = {
    Image: image,
    Hostname: plan.hostname,
    Env: envList(plan),
    Labels: { ...plan.labels, [LABELS.installation]: installationId, [LABELS.session]: plan.sessionUuid, [LABELS.service]: plan.name },
    ExposedPorts: Object.fromEntries(plan.ports.map((port) => [portKey(port), {}])),
    HostConfig: {
      Binds: plan.mounts.map((mount) => `${mount.hostPath}:${mount.target}:rw`),
      // HostPort "" lets the engine choose a free port; only loopback, the proxy is the way in.
      PortBindings: publishing.publish ? Object.fromEntries(plan.ports.map((port) => [portKey(port), [{ HostIp: '127.0.0.1', HostPort: '' }]])) : {},
      NetworkMode: network,
      // Restarts are the session manager's policy, not the engine's.
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [plan.hostname, plan.name] } } },
  };
  if (plan.command !== undefined) body.Entrypoint = plan.command;
  if (plan.args !== undefined) body.Cmd = plan.args;
  if (identity.user !== undefined) body.User = identity.user;
  if (identity.groupAdd?.length) body.HostConfig.GroupAdd = identity.groupAdd;
  return body;
}
