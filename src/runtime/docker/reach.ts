/**
 * How Berth reaches a container's ports: on the session network itself, or through a port the
 * engine publishes on the host's loopback.
 *
 * On the network, a check talks to the service's own socket: nothing answers unless the service
 * listens. Through a published port, Docker's userland proxy (`docker-proxy`) answers first and
 * accepts connections whether or not anything listens inside, so readiness could say "ready" for a
 * service that is not. Berth reaches the session networks when it runs on the engine's host, next
 * to a rootful engine (Docker, rootful Podman: their bridges are host interfaces). A rootless
 * engine keeps its networks in a namespace of its own, and Berth in a container of its own (another
 * host name) is not on them: there ports are published and checks prove a listener another way
 * (sessions/readiness/port.ts).
 * docs/runtimes/docker.md, "How Berth reaches services".
 */
import { hostname, networkInterfaces } from 'node:os';
import { RuntimeError } from '../errors.ts';

export type DockerReach = 'network' | 'published';
/** `auto` chooses `network` where Berth runs on the host of a rootful engine (same host name). */
export type DockerReachOption = DockerReach | 'auto';

export interface EngineHostFacts {
  /** The engine's /info SecurityOptions include `name=rootless`. */
  rootless: boolean;
  /** The engine's /info Name (its host name) differs from Berth's: Berth runs in a container or elsewhere. */
  otherHost: boolean;
}

export function chooseReach(option: DockerReachOption, facts: EngineHostFacts): DockerReach {
  if (option !== 'auto') return option;
  return facts.rootless || facts.otherHost ? 'published' : 'network';
}

export function engineHostFacts(info: { SecurityOptions?: string[] | null; Name?: string }, ownHostname: string = hostname()): EngineHostFacts {
  return {
    rootless: (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless')),
    otherHost: info.Name !== undefined && info.Name !== ownHostname,
  };
}

/** `172.18.0.0/16` contains `172.18.0.1`; IPv4 only (the engines' default bridges are IPv4). */
export function subnetContains(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const network = ipv4ToNumber(base ?? '');
  const host = ipv4ToNumber(address);
  if (network === undefined || host === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((network & mask) >>> 0) === ((host & mask) >>> 0);
}

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** True when one of this process's interfaces has an address in `subnet` (its bridge is up). */
export function onLocalSubnet(subnet: string): boolean {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .some((entry) => entry.family === 'IPv4' && !entry.internal && subnetContains(subnet, entry.address));
}

/** BERTH_DOCKER_REACH: `auto` when unset. */
export function parseReach(value: string | undefined): DockerReachOption {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'network' || value === 'published') return value;
  throw new RuntimeError('BERTH_RUNTIME_DOCKER_REACH', { value });
}
