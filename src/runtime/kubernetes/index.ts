/** @module runtime/kubernetes: services as Deployments + ClusterIP Services, environment builds as Jobs. */
export { createKubernetesRuntime, type KubernetesRuntimeOptions } from './runtime.ts';
export { kubernetesOptionsFromEnv } from './config.ts';
export {
  deploymentManifest,
  serviceManifest,
  secretManifest,
  networkPolicyManifest,
  readinessProbe,
  objectName,
  networkPolicyName,
  defaultProjectSubPath,
  type ManifestOptions,
} from './manifests.ts';
export { serviceResources, resourceRequirements, type ServiceResources } from './resources.ts';
export { sanitizeLabelValue, LABELS_ANNOTATION, BERTH_APP_LABEL, BERTH_APP_VALUE } from './labels.ts';
export { podState, deploymentState, FATAL_WAITING_REASONS } from './pod-status.ts';
export { loadKubeConfig, createKubernetesClients, kubeStatus, type KubernetesClients } from './client.ts';
export { toWire } from './wire.ts';
export {
  buildJobManifest,
  buildConfigMapManifest,
  buildJobName,
  imageTag,
  digestFrom,
  runBuildJob,
  DEFAULT_BUILDKIT_IMAGE,
  type BuildJobInput,
  type BuildJobResult,
  type RunBuildJobOptions,
} from './build-job.ts';
