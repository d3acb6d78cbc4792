/**
 * The runtime layer's codes (BERTH_RUNTIME_*, every runtime: local, docker, kubernetes), each
 * declared once with its status and cause. The message of each error names the service and what
 * to change; the status says whose fix it is: the pipeline file's (422), the state of what runs
 * (409), the engine or cluster Berth depends on (502/503/504), or the server's own setup (500).
 */
import type { ErrorCatalogue } from '../shared/index.ts';

export const RUNTIME_CODES = {
  // What the pipeline asks for cannot run on this runtime: the pipeline file's fix.
  BERTH_RUNTIME_NO_COMMAND: { status: 422, summary: 'a service on the local runtime has no command to run (an image alone names nothing to start)' },
  BERTH_RUNTIME_NEEDS_CONTAINERS: { status: 422, summary: 'a service needs a container image the local runtime cannot run; use docker or kubernetes' },
  BERTH_RUNTIME_EXECUTABLE_NOT_FOUND: { status: 422, summary: 'the program a service, readiness command or exec names does not exist where it runs' },
  BERTH_RUNTIME_EXEC_EMPTY: { status: 422, summary: 'an exec in a service was asked for with an empty command' },
  BERTH_RUNTIME_BIND_TARGET_INVALID: { status: 422, summary: 'a bind target climbs out of its root with a ".." segment' },
  BERTH_RUNTIME_BAD_ENV_NAME: { status: 422, summary: 'an env var name is one the kubernetes API server refuses' },
  BERTH_RUNTIME_BAD_RESOURCES: { status: 422, summary: "a service's resources are not an object of Kubernetes quantities" },
  BERTH_RUNTIME_PROJECT_OUTSIDE_CLAIM: { status: 422, summary: "the project directory is not inside the projects claim's mount, so pods cannot see it" },
  BERTH_RUNTIME_IMAGE_PULL: { status: 422, summary: "a service's image is not present and pulling it failed (a typo, a private registry)" },
  BERTH_RUNTIME_BUILD_FAILED: { status: 422, summary: "an environment image build failed (its setup script or base image)" },
  // The state of what runs forbids it now.
  BERTH_RUNTIME_PORT_IN_USE: { status: 409, summary: "something on this host already listens on a service's port (local runtime)" },
  BERTH_RUNTIME_PORT_SHARED: { status: 409, summary: "a service's port is taken by another service that shares its network (local runtime)" },
  BERTH_RUNTIME_NAME_CONFLICT: { status: 409, summary: 'a container, network or deployment with the name Berth needs exists and belongs to something else' },
  BERTH_RUNTIME_ALREADY_RUNNING: { status: 409, summary: 'the service instance is already running' },
  BERTH_RUNTIME_NOT_RUNNING: { status: 409, summary: 'the service has no running instance (pod) to run a command in' },
  BERTH_RUNTIME_NOT_FOUND: { status: 404, summary: 'the service instance or session network the request names does not exist (any more)' },
  BERTH_RUNTIME_NO_ENDPOINT: { status: 409, summary: "a service's container is gone or has no address Berth can reach the port on" },
  BERTH_RUNTIME_NETWORK_IN_USE: { status: 409, summary: 'the session network cannot be removed: something outside Berth is still attached' },
  BERTH_RUNTIME_POD_CANCELLED: { status: 409, summary: 'a step or build pod was cancelled before it finished' },
  BERTH_RUNTIME_BUILD_CANCELLED: { status: 409, summary: 'an environment image build was cancelled' },
  // The engine or cluster Berth depends on failed, refused or is missing.
  BERTH_RUNTIME_ENGINE_UNREACHABLE: { status: 503, summary: 'the container engine does not answer on its socket' },
  BERTH_RUNTIME_ENGINE: { status: 502, summary: 'the container engine refused a request (an HTTP error from the engine)' },
  BERTH_RUNTIME_START_FAILED: { status: 502, summary: "the engine or cluster refused to create or start a service's container" },
  BERTH_RUNTIME_UNREACHABLE: { status: 503, summary: 'the kubernetes API server does not answer' },
  BERTH_RUNTIME_API_ERROR: { status: 502, summary: 'the kubernetes API server refused a request' },
  BERTH_RUNTIME_FORBIDDEN: { status: 502, summary: "the kubernetes API server refused Berth's service account (RBAC)" },
  BERTH_RUNTIME_ADMISSION_REFUSED: { status: 502, summary: 'an admission check of the namespace (quota, limit range, pod security, webhook) refused an object' },
  BERTH_RUNTIME_WATCH_REFUSED: { status: 502, summary: 'the kubernetes API server refused the watch of pods' },
  BERTH_RUNTIME_POD_CANNOT_START: { status: 502, summary: 'a step or build pod cannot start (image pull, scheduling, a failed container)' },
  BERTH_RUNTIME_DELETE_TIMEOUT: { status: 504, summary: 'an object Berth deleted in the cluster still exists after the deadline' },
  BERTH_RUNTIME_BUILD_NO_DIGEST: { status: 502, summary: 'a BuildKit build finished without reporting the digest of the pushed image' },
  BERTH_RUNTIME_NO_REGISTRY: { status: 503, summary: 'environment builds on kubernetes push to a registry, and none is configured' },
  BERTH_RUNTIME_ISOLATION_UNAVAILABLE: { status: 503, summary: 'namespace isolation was asked for and this host cannot make namespaces' },
  BERTH_RUNTIME_EXEC_TIMEOUT: { status: 504, summary: 'a command run in or next to a service did not finish within its deadline' },
  BERTH_RUNTIME_EXEC_FAILED: { status: 502, summary: 'a command could not be run in or next to a service' },
  BERTH_RUNTIME_NETWORK_UNREACHABLE: { status: 502, summary: "Berth has no address on a session's network, so it cannot reach the service (docker)" },
  BERTH_RUNTIME_STOP_FAILED: { status: 502, summary: 'processes of a service survived SIGKILL (stuck in uninterruptible I/O)' },
  // The server's own setup (settings, files, host): the operator's fix.
  BERTH_RUNTIME_DOCKER_HOST: { status: 500, summary: 'DOCKER_HOST (or --docker-host) is not a unix socket, the only way Berth talks to engines' },
  BERTH_RUNTIME_DOCKER_REACH: { status: 500, summary: 'BERTH_DOCKER_REACH is not a way Berth knows to reach services' },
  BERTH_RUNTIME_ISOLATION_INVALID: { status: 500, summary: 'the local isolation setting (BERTH_LOCAL_ISOLATION) is not auto, namespace or host' },
  BERTH_RUNTIME_KUBECONFIG: { status: 500, summary: 'the kubeconfig cannot be read or has no current cluster' },
  BERTH_RUNTIME_NO_NAMESPACE: { status: 500, summary: 'the kubernetes runtime has no namespace: BERTH_K8S_NAMESPACE is unset and Berth is not in a pod' },
  BERTH_RUNTIME_OUT_OF_CLUSTER: { status: 500, summary: 'the kubernetes runtime runs outside the cluster without being asked to' },
  BERTH_RUNTIME_BAD_FS_GROUP: { status: 500, summary: 'BERTH_K8S_FS_GROUP is not a group id' },
  BERTH_RUNTIME_BAD_REGISTRY: { status: 500, summary: 'BERTH_K8S_REGISTRY is not a repository with its registry host and no tag' },
  BERTH_RUNTIME_BAD_COLOCATE: { status: 500, summary: 'BERTH_K8S_COLOCATE is not on or off' },
  BERTH_RUNTIME_SOCKET_PATH_TOO_LONG: { status: 500, summary: "a session's forwarder socket path is longer than Linux allows (the data directory is too deep)" },
  BERTH_RUNTIME_NAMESPACE_FAILED: { status: 500, summary: "the local runtime cannot create a session's network namespace" },
  BERTH_RUNTIME_FORWARDER_FAILED: { status: 500, summary: "a session's namespace holder did not accept a port forward" },
  BERTH_RUNTIME_DIALER_FAILED: { status: 500, summary: "the dialer that connects into a session's network namespace cannot run" },
  BERTH_RUNTIME_SPAWN_FAILED: { status: 500, summary: "the local runtime cannot start a service's process wrapper" },
  BERTH_RUNTIME_STATE_WRITE: { status: 500, summary: "the local runtime cannot record a started process in its state directory" },
} as const satisfies ErrorCatalogue;

export type RuntimeCode = keyof typeof RUNTIME_CODES;
