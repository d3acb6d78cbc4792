/**
 * Compute resources, a Berth extension of the service spec (`resources: { cpu, memory, gpu }`).
 * Orchest requested 1m CPU and nothing else; on a shared cluster users need requests (to be
 * scheduled where the service fits) and limits (so one notebook cannot starve the node).
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { ServicePlan } from '../../plan/index.ts';
import { RuntimeError } from '../errors.ts';

export interface ServiceResources {
  /** Kubernetes quantity (`500m`, `2`) or a number of cores. */
  cpu?: string | number;
  /** Kubernetes quantity (`512Mi`, `4Gi`). */
  memory?: string;
  /** Whole NVIDIA GPUs (`nvidia.com/gpu` limit; the cluster needs the NVIDIA device plugin). */
  gpu?: number;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** Reads `plan.spec.resources` when present; the spec schema may not know the field yet. */
export function serviceResources(plan: ServicePlan): ServiceResources | undefined {
  const raw = (plan.spec as unknown as { resources?: unknown }).resources;
  if (raw === undefined || raw === null) return undefined;
  const where = `services.${plan.name}.resources`;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RuntimeError('BERTH_RUNTIME_BAD_RESOURCES', { field: where });
  }
  const { cpu, memory, gpu } = raw as Record<string, unknown>;
  const result: ServiceResources = {};
  if (cpu !== undefined) {
    if (!(typeof cpu === 'number' && cpu > 0) && !(typeof cpu === 'string' && QUANTITY.test(cpu))) {
      throw new RuntimeError('BERTH_RUNTIME_BAD_RESOURCES', { field: `${where}.cpu`, quantity: { value: cpu, example: '"500m" or 2' } });
    }
    result.cpu = cpu;
  }
  if (memory !== undefined) {
    if (typeof memory !== 'string' || !QUANTITY.test(memory)) {
      throw new RuntimeError('BERTH_RUNTIME_BAD_RESOURCES', { field: `${where}.memory`, quantity: { value: memory, example: '"512Mi" or "4Gi"' } });
    }
    result.memory = memory;
  }
  if (gpu !== undefined) {
    if (typeof gpu !== 'number' || !Number.isInteger(gpu) || gpu < 0) {
      throw new RuntimeError('BERTH_RUNTIME_BAD_RESOURCES', { field: `${where}.gpu`, quantity: { value: gpu, example: 'a whole number such as 1' } });
    }
    result.gpu = gpu;
  }
  return result;
}

/** Requests equal limits for CPU and memory (predictable, and the scheduler reserves what may be used). */
export function resourceRequirements(resources: ServiceResources | undefined): V1ResourceRequirements | undefined {
  if (!resources) return undefined;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (resources.cpu !== undefined) requests.cpu = limits.cpu = String(resources.cpu);
  if (resources.memory !== undefined) requests.memory = limits.memory = resources.memory;
  if (resources.gpu) limits['nvidia.com/gpu'] = String(resources.gpu);
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return undefined;
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}
