/**
 * The typed client keeps objects in its model form (`_from` for NetworkPolicy's `from`) and
 * converts on the wire. Manifests shown to people, validated offline or played with podman need
 * the wire form, which this converts to.
 */
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';

export type ModelType = 'V1Deployment' | 'V1Service' | 'V1NetworkPolicy' | 'V1Job' | 'V1ConfigMap' | 'V1Pod' | 'V1Secret';

/** The object exactly as kube-apiserver (and `kubectl apply`) expects it. */
export function toWire(object: object, type: ModelType): Record<string, unknown> {
  return ObjectSerializer.serialize(object, type, '') as Record<string, unknown>;
}

export function fromWire<T>(object: unknown, type: ModelType): T {
  return ObjectSerializer.deserialize(object, type, '') as T;
}
