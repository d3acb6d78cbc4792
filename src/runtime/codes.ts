/**
 * The runtime layer's codes (BERTH_RUNTIME_*, every runtime: local, docker, kubernetes), each
 * declared once with its status, cause, message and hint; throw sites pass the facts only. The
 * message of each error names the service and what to change; the status says whose fix it is:
 * the pipeline file's (422), the state of what runs (409), the engine or cluster Berth depends on
 * (502/503/504), or the server's own setup (500).
 *
 * One code is thrown by several runtimes in their own words (docker names a container, kubernetes
 * a pod); the facts say which (`at`, `by`, `kind`, …), so the words stay those users know.
 * This file is imported by the server's error catalogue: it imports nothing of the runtimes.
 */
import { defineError, type ErrorCatalogue } from '../shared/index.ts';

/**
 * A program that does not exist where it was to run. `run`: the service's own program on the host
 * (local start, with what the hint needs), a program exec'd next to the service on the host, or one
 * exec'd in its container (`said`: the cluster's words).
 */
type MissingExecutable =
  | { run: 'service'; service: string; executable: string; exists: boolean; argsOnly: boolean; install?: string }
  | { run: 'host-exec'; service: string; executable: string }
  | { run: 'container-exec'; service: string; executable: string; said: string };

/** The likeliest fix for a service program the local runtime cannot find, most specific first. */
function missingServiceProgramHint({ service, executable, exists, argsOnly, install }: Extract<MissingExecutable, { run: 'service' }>): string {
  const where = `services.${service}`;
  if (argsOnly) return `${where}.args is set without ${where}.command, so "${executable}" would be the program: on the host there is no image entrypoint; set ${where}.command`;
  if (/\s/.test(executable)) {
    const [first = '', ...rest] = executable.trim().split(/\s+/);
    return `${where}.command is one executable, never split: set command to "${first}" and put "${rest.join(' ')}" in ${where}.args`;
  }
  if (install) return `install it on the host (${install}) or use the docker runtime`;
  if (exists) return `make it executable (chmod +x ${executable})`;
  return `install it on the host, fix ${where}.command, or use the docker runtime`;
}

/** What the kubernetes API server answered to a refused request. */
interface ApiStatus {
  code: number;
  reason?: string;
  message: string;
}

/** A request the kubernetes API server refused: what Berth was doing (`action`, "create …") and the server's answer. */
interface ApiRefusal {
  namespace: string;
  action: string;
  status: ApiStatus;
}

function apiRefusal({ namespace, action, status }: ApiRefusal): string {
  return `kubernetes, namespace ${namespace}: cannot ${action}: ${status.message} (HTTP ${status.code}${status.reason ? `, ${status.reason}` : ''})`;
}

const CHECK_CLUSTER = 'check that the cluster is reachable (kubectl cluster-info) and retry';
const SLOW_COMMAND = 'raise the timeout or make the command finish sooner';
const FIX_BUILD = 'fix the setup script or the base image of the environment and build again';

export const RUNTIME_CODES = {
  // What the pipeline asks for cannot run on this runtime: the pipeline file's fix.
  BERTH_RUNTIME_NO_COMMAND: defineError({
    status: 422,
    summary: 'a service on the local runtime has no command to run (an image alone names nothing to start)',
    /** `hostDefaults`: the images the local runtime knows a host program for. */
    message: ({ service, image }: { service: string; image: string; hostDefaults: readonly string[] }) =>
      `service ${service}: the local runtime cannot run image "${image}" on the host without a command (services.${service}.command and services.${service}.args are empty)`,
    hint: ({ service, hostDefaults }) =>
      `set services.${service}.command (and services.${service}.args) to the program to run on the host, or use the docker runtime; images with a host default: ${hostDefaults.join(', ')}`,
  }),
  BERTH_RUNTIME_NEEDS_CONTAINERS: defineError({
    status: 422,
    summary: 'a service needs a container image the local runtime cannot run; use docker or kubernetes',
    message: ({ service, environmentUuid }: { service: string; environmentUuid: string }) =>
      `service ${service}: image "environment@${environmentUuid}" needs a container runtime (docker); the local runtime runs host processes`,
    hint: ({ service }) => `start Berth with --runtime docker, or set services.${service}.image to a program's image with services.${service}.command`,
  }),
  BERTH_RUNTIME_EXECUTABLE_NOT_FOUND: defineError({
    status: 422,
    summary: 'the program a service, readiness command or exec names does not exist where it runs',
    message: (facts: MissingExecutable) => {
      switch (facts.run) {
        case 'service':
          return `service ${facts.service}: executable "${facts.executable}" ${facts.exists ? 'is not executable' : 'was not found on the host (PATH of the service)'}`;
        case 'host-exec':
          return `service ${facts.service}: cannot run "${facts.executable}" next to the service: executable not found on the host`;
        case 'container-exec':
          return `service ${facts.service}: \`${facts.executable}\` does not exist in its container: ${facts.said}`;
      }
    },
    hint: (facts) => {
      switch (facts.run) {
        case 'service':
          return missingServiceProgramHint(facts);
        case 'host-exec':
          return `install ${facts.executable} on the host or change the command`;
        case 'container-exec':
          return 'use a command the image contains, or install it in the image';
      }
    },
  }),
  BERTH_RUNTIME_EXEC_EMPTY: defineError({
    status: 422,
    summary: 'an exec in a service was asked for with an empty command',
    message: ({ service }: { service: string }) => `service ${service}: exec needs a command (argv is empty)`,
  }),
  BERTH_RUNTIME_BIND_TARGET_INVALID: defineError({
    status: 422,
    summary: 'a bind target climbs out of its root with a ".." segment',
    message: ({ target }: { target: string }) => `bind target ${JSON.stringify(target)} climbs out with a ".." segment`,
    hint: () => 'give the mount path inside the service without ".." (run `berth validate` on the pipeline file)',
  }),
  BERTH_RUNTIME_BAD_ENV_NAME: defineError({
    status: 422,
    summary: 'an env var name is one the kubernetes API server refuses',
    /** `field`: where the variable is set (a path in the pipeline file, or where it is inherited from). */
    message: ({ field, name }: { field: string; name: string }) =>
      `${field}: ${JSON.stringify(name)} is not an env name the kubernetes runtime can set (the API server requires [-._a-zA-Z][-._a-zA-Z0-9]*: no leading digit)`,
    hint: () => 'rename the variable so that it starts with a letter or "_", e.g. "KEY_1"',
  }),
  BERTH_RUNTIME_BAD_RESOURCES: defineError({
    status: 422,
    summary: "a service's resources are not an object of Kubernetes quantities",
    /** `field`: the path of the resources or of one quantity; `quantity`: the quantity that is wrong, none when the resources are no object. */
    message: ({ field, quantity }: { field: string; quantity?: { value: unknown; example: string } }) =>
      quantity === undefined
        ? `${field} must be an object like { "cpu": "500m", "memory": "1Gi", "gpu": 1 }`
        : `${field} is ${JSON.stringify(quantity.value)}, not a Kubernetes quantity`,
    hint: ({ field, quantity }) => (quantity === undefined ? `fix ${field} in the pipeline file` : `use a quantity such as ${quantity.example} in the pipeline file`),
  }),
  BERTH_RUNTIME_PROJECT_OUTSIDE_CLAIM: defineError({
    status: 422,
    summary: "the project directory is not inside the projects claim's mount, so pods cannot see it",
    /** `who`: what mounts the project (a service, a step). */
    message: ({ who, projectDir, mountPath, claim }: { who: string; projectDir: string; mountPath: string; claim: string }) =>
      `${who}: its project directory ${projectDir} is not inside ${mountPath}, where the projects claim ${claim} is mounted`,
    hint: ({ mountPath }) => `add the project from a directory under ${mountPath} (berth project add ${mountPath}/NAME)`,
  }),
  BERTH_RUNTIME_IMAGE_PULL: defineError({
    status: 422,
    summary: "a service's image is not present and pulling it failed (a typo, a private registry)",
    /** `reason`: the engine's words. */
    message: ({ image, reason }: { image: string; reason: string }) => `image ${image} is not present and pulling it failed: ${reason}`,
    hint: ({ image }) =>
      `build or load the image locally (e.g. \`docker tag <local image> ${image}\`), use an environment image (environment@<uuid>), or check the name and the engine's registry access`,
  }),
  BERTH_RUNTIME_BUILD_FAILED: defineError({
    status: 422,
    summary: "an environment image build failed (its setup script or base image)",
    /**
     * `by`: who says it failed. The engine (docker): its words are the whole message. The build job
     * (kubernetes): how its pod ended. The builder: its pod cannot start, and the message is that
     * error's own (BERTH_RUNTIME_POD_CANNOT_START's, which names the build and why).
     */
    message: (facts: { by: 'engine'; reason: string } | { by: 'job'; where: string; exitCode: number | null; reason?: string } | { by: 'builder'; builderImage: string; message: string }) => {
      switch (facts.by) {
        case 'engine':
          return facts.reason;
        case 'job':
          return `${facts.where} failed (${facts.exitCode === null ? 'no exit code' : `exit code ${facts.exitCode}`}${facts.reason ? `, ${facts.reason}` : ''})`;
        case 'builder':
          return facts.message;
      }
    },
    hint: (facts) => (facts.by === 'builder' ? `make ${facts.builderImage} pullable in the cluster, or set another builder image (BERTH_K8S_BUILDKIT_IMAGE)` : FIX_BUILD),
  }),
  // The state of what runs forbids it now.
  BERTH_RUNTIME_PORT_IN_USE: defineError({
    status: 409,
    summary: "something on this host already listens on a service's port (local runtime)",
    /** `index`: the port's place in services.<service>.ports; `holder`: the process listening, when known; `isolationReason`: why services are on host ports. */
    message: ({ service, port, holder }: { service: string; port: number; index: number; holder?: { pid: number; command: string }; isolationReason: string }) =>
      `service ${service}: port ${port} is already in use on this host${holder ? ` by pid ${holder.pid} (${holder.command || 'unknown command'})` : ''}`,
    hint: ({ service, port, index, holder, isolationReason }) =>
      `${holder ? `stop pid ${holder.pid}` : `free port ${port}`} or change services.${service}.ports[${index}]; isolation: host, ${isolationReason}`,
  }),
  BERTH_RUNTIME_PORT_SHARED: defineError({
    status: 409,
    summary: "a service's port is taken by another service that shares its network (local runtime)",
    /** `takenBy`: another service of the session that declared the port, or the session whose network something already listens on it in. */
    message: ({ service, port, index, takenBy }: { service: string; port: number; index: number; takenBy: { service: string } | { session: string } }) =>
      `service ${service}: port ${port} (services.${service}.ports[${index}]) cannot be used: ${
        'service' in takenBy ? `service ${takenBy.service} of this session already uses it` : `something inside session ${takenBy.session} already listens on it`
      }`,
    hint: ({ service, index }) =>
      `the services of an isolated local session share one network, so each needs its own port: change services.${service}.ports[${index}] (and the port the program listens on)`,
  }),
  BERTH_RUNTIME_NAME_CONFLICT: defineError({
    status: 409,
    summary: 'a container, network or deployment with the name Berth needs exists and belongs to something else',
    /** A container or network on the engine at `socketPath` (docker), or a deployment in `namespace` (kubernetes). */
    message: (facts: { kind: 'container' | 'network'; name: string; socketPath: string } | { kind: 'deployment'; name: string; namespace: string }) =>
      `a ${facts.kind} named ${facts.name} already exists ${facts.kind === 'deployment' ? `in namespace ${facts.namespace}` : `on ${facts.socketPath}`} and does not belong to this Berth installation`,
    hint: (facts) => {
      switch (facts.kind) {
        case 'container':
          return `remove or rename that container (docker rm -f ${facts.name}), or run this installation against another engine`;
        case 'network':
          return `remove it (docker network rm ${facts.name}) or run this installation against another engine`;
        case 'deployment':
          return `delete it (kubectl -n ${facts.namespace} delete deployment ${facts.name}) or run this installation in another namespace`;
      }
    },
  }),
  BERTH_RUNTIME_ALREADY_RUNNING: defineError({
    status: 409,
    summary: 'the service instance is already running',
    /** The instance: its process group (local runtime) or its runtime id. */
    message: (facts: { service: string; sessionUuid: string } & ({ pgid: number } | { id: string })) =>
      `service ${facts.service} of session ${facts.sessionUuid} is already running (${'pgid' in facts ? `process group ${facts.pgid}` : facts.id})`,
    hint: () => 'stop it before starting it again',
  }),
  BERTH_RUNTIME_NOT_RUNNING: defineError({
    status: 409,
    summary: 'the service has no running instance (pod) to run a command in',
    message: ({ service, deployment, argv }: { service: string; deployment: string; namespace: string; argv: readonly string[] }) =>
      `service ${service} (deployment ${deployment}) has no pod to run \`${argv.join(' ')}\` in`,
    hint: ({ deployment, namespace }) => `see kubectl -n ${namespace} describe deployment ${deployment}`,
  }),
  BERTH_RUNTIME_NOT_FOUND: defineError({
    status: 404,
    summary: 'the service instance or session network the request names does not exist (any more)',
    /** `what`: the session's own network (to dial a port in; `isolated`: sessions have one here) or a service's instance (to exec in). */
    message: (facts: { what: 'network'; sessionUuid: string; port: number; isolated: boolean } | { what: 'instance'; sessionUuid: string; service: string; id: string }) =>
      facts.what === 'network'
        ? `session ${facts.sessionUuid} has no network of its own to connect to port ${facts.port} in`
        : `service ${facts.service} of session ${facts.sessionUuid} has no running instance ${facts.id} to exec in`,
    hint: (facts) =>
      facts.what === 'instance'
        ? 'start the service first'
        : facts.isolated
          ? 'start the session again: its namespace holder is gone'
          : 'sessions run on host ports here: connect to 127.0.0.1',
  }),
  BERTH_RUNTIME_NO_ENDPOINT: defineError({
    status: 409,
    summary: "a service's container is gone or has no address Berth can reach the port on",
    /** `why`: the container is gone, or it publishes no host port for `port` (and Berth is not on its network). */
    message: ({ service, container, port, why }: { service: string; container: string; port: number; why: 'gone' | 'unpublished' }) =>
      why === 'gone'
        ? `service ${service} (container ${container.slice(0, 12)}) is gone, so port ${port} cannot be reached`
        : `service ${service} (container ${container.slice(0, 12)}) has no published host port for port ${port}, and Berth is not on its session network`,
    hint: ({ port, why }) => (why === 'gone' ? 'restart the service or the session' : `declare ${port} in the service's ports and restart it`),
  }),
  BERTH_RUNTIME_NETWORK_IN_USE: defineError({
    status: 409,
    summary: 'the session network cannot be removed: something outside Berth is still attached',
    /** `reason`: the engine's refusal. */
    message: ({ network, reason }: { network: string; reason: string }) => `cannot remove the session network ${network}: ${reason}`,
    hint: ({ network }) => `stop the session's services first; containers still attached: docker network inspect ${network}`,
  }),
  BERTH_RUNTIME_POD_CANCELLED: defineError({
    status: 409,
    summary: 'a step or build pod was cancelled before it finished',
    /** `where`: what the pod runs, as the caller names it ("step load (pod …, namespace …)"). */
    message: ({ where }: { where: string }) => `${where} was cancelled`,
  }),
  BERTH_RUNTIME_BUILD_CANCELLED: defineError({
    status: 409,
    summary: 'an environment image build was cancelled',
    /** `where`: the build, its job and namespace. */
    message: ({ where }: { where: string }) => `${where} was cancelled`,
    hint: () => 'start the build again when needed',
  }),
  // The engine or cluster Berth depends on failed, refused or is missing.
  BERTH_RUNTIME_ENGINE_UNREACHABLE: defineError({
    status: 503,
    summary: 'the container engine does not answer on its socket',
    /** `reason`: the socket's error. */
    message: ({ socketPath, method, path, reason }: { socketPath: string; method: string; path: string; reason: string }) =>
      `cannot reach the container engine at ${socketPath} (${method} ${path}): ${reason}`,
    hint: () =>
      'start the engine (dockerd, or `podman system service --time=0 unix:///run/podman/podman.sock`), or point DOCKER_HOST at its socket; CI: bash ci/setup-engines.sh',
  }),
  BERTH_RUNTIME_ENGINE: defineError({
    status: 502,
    summary: 'the container engine refused a request (an HTTP error from the engine)',
    /** `engineMessage`: the engine's words, empty when it said nothing. */
    message: ({ socketPath, method, path, status, engineMessage }: { socketPath: string; method: string; path: string; status: number; engineMessage: string }) =>
      `container engine at ${socketPath} refused ${method} ${path} (HTTP ${status}): ${engineMessage || 'no message'}`,
  }),
  BERTH_RUNTIME_START_FAILED: defineError({
    status: 502,
    summary: "the engine or cluster refused to create or start a service's container",
    /** `by`: the engine (docker: which `step`) or the cluster (kubernetes: which `object`, "deployment", …); `reason`: their words. */
    message: (facts: { by: 'engine'; service: string; step: 'create' | 'start'; image: string; reason: string } | { by: 'cluster'; service: string; object: string; namespace: string; reason: string }) =>
      facts.by === 'engine'
        ? `service ${facts.service}: the engine could not ${facts.step} its container from ${facts.image}: ${facts.reason}`
        : `service ${facts.service}: the cluster refused its ${facts.object} (namespace ${facts.namespace}): ${facts.reason}`,
    hint: (facts) =>
      facts.by === 'engine' ? 'check the service image, command, args and binds in the pipeline file' : 'check the service image, command, args, ports and resources in the pipeline file',
  }),
  BERTH_RUNTIME_UNREACHABLE: defineError({
    status: 503,
    summary: 'the kubernetes API server does not answer',
    /** `reason`: the error of the request, which got no answer. */
    message: ({ namespace, action, reason }: { namespace: string; action: string; reason: string }) => `kubernetes, namespace ${namespace}: cannot ${action}: ${reason}`,
    hint: () => CHECK_CLUSTER,
  }),
  BERTH_RUNTIME_API_ERROR: defineError({
    status: 502,
    summary: 'the kubernetes API server refused a request',
    message: (facts: ApiRefusal) => apiRefusal(facts),
    hint: ({ namespace, status }) => {
      if (status.code === 401) return 'the credentials in the kubeconfig (or the service account token) were refused; renew them';
      if (status.code === 404 && status.reason === 'NotFound' && /namespaces?/.test(status.message)) return `create the namespace ${namespace} (kubectl apply -k deploy/kubernetes)`;
      if (status.code === 422) return 'the cluster rejected the object; fix the service in the pipeline file (image, command, resources)';
      return CHECK_CLUSTER;
    },
  }),
  BERTH_RUNTIME_FORBIDDEN: defineError({
    status: 502,
    summary: "the kubernetes API server refused Berth's service account (RBAC)",
    message: (facts: ApiRefusal) => apiRefusal(facts),
    hint: ({ namespace }) => `grant Berth's service account the verbs in deploy/kubernetes/base/role.yaml in namespace ${namespace}`,
  }),
  BERTH_RUNTIME_ADMISSION_REFUSED: defineError({
    status: 502,
    summary: 'an admission check of the namespace (quota, limit range, pod security, webhook) refused an object',
    message: (facts: ApiRefusal) => apiRefusal(facts),
    hint: ({ namespace }) =>
      `an admission check of namespace ${namespace} refused it (ResourceQuota, LimitRange, PodSecurity or a webhook, as the message says): lower the service's resources, or ask the cluster's admin to allow it`,
  }),
  BERTH_RUNTIME_WATCH_REFUSED: defineError({
    status: 502,
    summary: 'the kubernetes API server refused the watch of pods',
    /** `httpCode`: the answer's status, when there was one; `reason`: the error's words. */
    message: ({ namespace, selector, httpCode, reason }: { namespace: string; selector: string; httpCode?: number; reason: string }) =>
      `kubernetes, namespace ${namespace}: the watch of pods (${selector}) was refused: ${httpCode ? `HTTP ${httpCode} ` : ''}${reason}; Berth lists pods instead until a watch is accepted`,
    hint: ({ namespace, httpCode }) =>
      httpCode === 403
        ? `grant Berth's service account the verbs get, list and watch on pods (deploy/kubernetes/base/role.yaml) in namespace ${namespace}`
        : 'check the API server (kubectl get --raw /readyz)',
  }),
  BERTH_RUNTIME_POD_CANNOT_START: defineError({
    status: 502,
    summary: 'a step or build pod cannot start (image pull, scheduling, a failed container)',
    /** `where`: what the pod runs, as the caller names it; `reason`: what the pod, its Job or the events say. */
    message: ({ where, reason }: { where: string; reason: string }) => `${where} cannot start: ${reason}`,
  }),
  BERTH_RUNTIME_DELETE_TIMEOUT: defineError({
    status: 504,
    summary: 'an object Berth deleted in the cluster still exists after the deadline',
    /** `object`: what was deleted ("service web"); `selector`: the label selector of this installation's objects. */
    message: ({ namespace, object, timeoutMs }: { namespace: string; object: string; timeoutMs: number; selector: string }) =>
      `kubernetes, namespace ${namespace}: ${object} still exists ${Math.round(timeoutMs / 1000)} s after Berth deleted it`,
    hint: ({ namespace, selector }) => `look for finalizers or stuck pods: kubectl -n ${namespace} get deploy,svc,pods -l ${selector}`,
  }),
  BERTH_RUNTIME_BUILD_NO_DIGEST: defineError({
    status: 502,
    summary: 'a BuildKit build finished without reporting the digest of the pushed image',
    /** `where`: the build, its job and namespace. */
    message: ({ where }: { where: string; repository: string; namespace: string; job: string }) => `${where} finished but reported no image digest`,
    hint: ({ repository, namespace, job }) => `check that the builder pushed to ${repository} (kubectl -n ${namespace} logs job/${job})`,
  }),
  BERTH_RUNTIME_NO_REGISTRY: defineError({
    status: 503,
    summary: 'environment builds on kubernetes push to a registry, and none is configured',
    message: () => 'environment builds on the kubernetes runtime push their image to a registry, and none is configured',
    hint: () =>
      'set BERTH_K8S_REGISTRY to a repository the cluster can pull from (e.g. registry.example.com/team/berth-env), with BERTH_K8S_REGISTRY_SECRET for its credentials',
  }),
  BERTH_RUNTIME_ISOLATION_UNAVAILABLE: defineError({
    status: 503,
    summary: 'namespace isolation was asked for and this host cannot make namespaces',
    /** `source`: the setting that asked for it; `problem`: why namespaces fail here. */
    message: ({ source, problem }: { source: string; problem: string | undefined }) => `${source}=namespace, but this host cannot make namespaces: ${problem}`,
    hint: ({ source }) => `fix the cause above, or set ${source}=auto (falls back to host ports) or host`,
  }),
  BERTH_RUNTIME_EXEC_TIMEOUT: defineError({
    status: 504,
    summary: 'a command run in or next to a service did not finish within its deadline',
    /** `at`: on the host next to the service (local), in its container (docker), or in its pod (kubernetes). */
    message: (facts: { service: string; argv: readonly string[]; timeoutMs: number } & ({ at: 'host' | 'container' } | { at: 'pod'; pod: string })) =>
      facts.at === 'host'
        ? `service ${facts.service}: "${facts.argv.join(' ')}" did not finish within ${facts.timeoutMs} ms`
        : `\`${facts.argv.join(' ')}\` in service ${facts.service}${facts.at === 'pod' ? ` (pod ${facts.pod})` : ''} did not finish within ${facts.timeoutMs} ms`,
    hint: () => SLOW_COMMAND,
  }),
  BERTH_RUNTIME_EXEC_FAILED: defineError({
    status: 502,
    summary: 'a command could not be run in or next to a service',
    /** `at`: on the host next to the service (local) or in its pod (kubernetes); `reason`: the error of the spawn or the exec stream. */
    message: (facts: { at: 'host'; service: string; executable: string; reason: string } | { at: 'pod'; service: string; argv: readonly string[]; pod: string; namespace: string; reason: string }) =>
      facts.at === 'host'
        ? `service ${facts.service}: cannot run "${facts.executable}" next to the service: ${facts.reason}`
        : `cannot run \`${facts.argv.join(' ')}\` in service ${facts.service} (pod ${facts.pod}): ${facts.reason}`,
    hint: (facts) =>
      facts.at === 'host'
        ? `check that ${facts.executable} is a program the user Berth runs as may run on the host`
        : `check that the pod runs (kubectl -n ${facts.namespace} get pod ${facts.pod}) and that Berth may create pods/exec`,
  }),
  BERTH_RUNTIME_NETWORK_UNREACHABLE: defineError({
    status: 502,
    summary: "Berth has no address on a session's network, so it cannot reach the service (docker)",
    /** `address`/`prefixLength`: the container's on its session network, as the engine reports them. */
    message: ({ service, address, prefixLength, port }: { service: string; address: string; prefixLength: number | undefined; port: number }) =>
      `service ${service}: Berth has no address on its session network (${address}/${prefixLength}), so it cannot reach port ${port}`,
    hint: () => "run Berth on the engine's host, or set BERTH_DOCKER_REACH=published to reach services through ports published on 127.0.0.1",
  }),
  BERTH_RUNTIME_STOP_FAILED: defineError({
    status: 502,
    summary: 'processes of a service survived SIGKILL (stuck in uninterruptible I/O)',
    /** `pids`: the processes left; `waitedMs`: how long Berth waited after SIGKILL. */
    message: ({ service, pgid, pids, waitedMs }: { service: string; pgid: number; pids: readonly number[]; waitedMs: number }) =>
      `service ${service}: processes ${pids.join(', ')} of process group ${pgid} survived SIGKILL for ${waitedMs / 1000} s`,
    hint: () => 'they are probably stuck in uninterruptible I/O (state D in /proc/<pid>/stat); check the disk or NFS mount they use',
  }),
  // The server's own setup (settings, files, host): the operator's fix.
  BERTH_RUNTIME_DOCKER_HOST: defineError({
    status: 500,
    summary: 'DOCKER_HOST (or --docker-host) is not a unix socket, the only way Berth talks to engines',
    message: ({ dockerHost }: { dockerHost: string }) => `DOCKER_HOST=${dockerHost} is not supported: Berth talks to engines over a unix socket`,
    hint: () => 'set DOCKER_HOST=unix:///var/run/docker.sock (Docker) or unix:///run/podman/podman.sock (Podman), or pass the socket path',
  }),
  BERTH_RUNTIME_DOCKER_REACH: defineError({
    status: 500,
    summary: 'BERTH_DOCKER_REACH is not a way Berth knows to reach services',
    message: ({ value }: { value: string }) => `BERTH_DOCKER_REACH=${value} is not a way to reach services`,
    hint: () => 'use auto (the default), network (Berth is on the session networks) or published (ports published on 127.0.0.1)',
  }),
  BERTH_RUNTIME_ISOLATION_INVALID: defineError({
    status: 500,
    summary: 'the local isolation setting (BERTH_LOCAL_ISOLATION) is not auto, namespace or host',
    /** `setting`: where the value comes from (BERTH_LOCAL_ISOLATION, an option). */
    message: ({ setting, value }: { setting: string; value: string }) => `${setting} is "${value}"; it must be auto, namespace or host`,
    hint: ({ setting }) => `set ${setting} to auto (namespaces where they work), namespace or host`,
  }),
  BERTH_RUNTIME_KUBECONFIG: defineError({
    status: 500,
    summary: 'the kubeconfig cannot be read or has no current cluster',
    /** `kubeconfig`: the file, none for the in-cluster configuration; `loadError`: why it cannot be loaded, none when it loads but names no current cluster. */
    message: ({ kubeconfig, loadError }: { kubeconfig?: string; loadError?: string }) =>
      loadError === undefined
        ? `the kubeconfig ${kubeconfig ?? '(in-cluster)'} has no current cluster`
        : kubeconfig
          ? `cannot read the kubeconfig ${kubeconfig}: ${loadError}`
          : `cannot load the in-cluster configuration: ${loadError}`,
    hint: ({ kubeconfig, loadError }) =>
      loadError === undefined
        ? 'set current-context in the kubeconfig (kubectl config use-context NAME)'
        : kubeconfig
          ? 'pass a readable kubeconfig file with --kubeconfig or BERTH_KUBECONFIG'
          : 'run Berth in a pod with a service account, or pass --kubeconfig',
  }),
  BERTH_RUNTIME_NO_NAMESPACE: defineError({
    status: 500,
    summary: 'the kubernetes runtime has no namespace: BERTH_K8S_NAMESPACE is unset and Berth is not in a pod',
    /** `emptyFile`: the service account's namespace file, when it exists but is empty. */
    message: ({ emptyFile }: { emptyFile?: string }) =>
      emptyFile === undefined
        ? 'the kubernetes runtime needs a namespace: BERTH_K8S_NAMESPACE is not set and Berth does not run in a pod'
        : `the service account's namespace file ${emptyFile} is empty`,
    hint: ({ emptyFile }) =>
      emptyFile === undefined ? 'set BERTH_K8S_NAMESPACE=berth (and BERTH_KUBECONFIG when Berth runs outside the cluster)' : 'set BERTH_K8S_NAMESPACE to the namespace Berth runs in',
  }),
  BERTH_RUNTIME_OUT_OF_CLUSTER: defineError({
    status: 500,
    summary: 'the kubernetes runtime runs outside the cluster without being asked to',
    /** `serviceHostSet`: KUBERNETES_SERVICE_HOST is set (so only the token in `serviceAccountDir` is missing). */
    message: ({ namespace, serviceAccountDir, serviceHostSet }: { namespace: string; serviceAccountDir: string; serviceHostSet: boolean }) =>
      `--runtime kubernetes runs inside the cluster, and this process is not in a pod (${serviceHostSet ? `no service account token in ${serviceAccountDir}` : 'KUBERNETES_SERVICE_HOST is not set'}): from here Berth could not reach its services (<name>.${namespace}.svc answers only in the cluster), place projects on the projects claim, or pass the session NetworkPolicies`,
    hint: () =>
      'deploy Berth in the cluster: kubectl apply -k deploy/kubernetes (docs/kubernetes.md, "From an empty cluster to a session"). ' +
      'For development against a test API server only, BERTH_KUBERNETES_OUT_OF_CLUSTER=1 with BERTH_KUBECONFIG starts it anyway (service URLs do not work)',
  }),
  BERTH_RUNTIME_BAD_FS_GROUP: defineError({
    status: 500,
    summary: 'BERTH_K8S_FS_GROUP is not a group id',
    message: ({ value }: { value: string | undefined }) => `BERTH_K8S_FS_GROUP is ${JSON.stringify(value)}, not a group id`,
    hint: () => 'set it to a number such as 1000',
  }),
  BERTH_RUNTIME_BAD_REGISTRY: defineError({
    status: 500,
    summary: 'BERTH_K8S_REGISTRY is not a repository with its registry host and no tag',
    message: ({ repository }: { repository: string }) =>
      `BERTH_K8S_REGISTRY is ${JSON.stringify(repository)}: it must be a repository with its registry host and no tag, such as registry.example.com/team/berth-env`,
    hint: () => 'drop the tag or digest (Berth tags each build itself) and include the registry host',
  }),
  BERTH_RUNTIME_BAD_COLOCATE: defineError({
    status: 500,
    summary: 'BERTH_K8S_COLOCATE is not on or off',
    message: ({ value }: { value: string }) => `BERTH_K8S_COLOCATE is ${JSON.stringify(value)}, not on or off`,
    hint: () => "on (ReadWriteOnce claims: pods that mount them run on Berth's node) or off (ReadWriteMany claims, deploy/kubernetes/overlays/rwx)",
  }),
  BERTH_RUNTIME_SOCKET_PATH_TOO_LONG: defineError({
    status: 500,
    summary: "a session's forwarder socket path is longer than Linux allows (the data directory is too deep)",
    message: ({ sessionUuid, path, maxBytes }: { sessionUuid: string; path: string; maxBytes: number }) =>
      `session ${sessionUuid}: the forwarder socket path ${path} is longer than Linux's ${maxBytes} bytes`,
    hint: () => 'start Berth with a shorter --data-dir, or set BERTH_LOCAL_ISOLATION=host',
  }),
  BERTH_RUNTIME_NAMESPACE_FAILED: defineError({
    status: 500,
    summary: "the local runtime cannot create a session's network namespace",
    /** `reason`: what went wrong with the holder (its error, its exit, its silence); `log`: the last lines of its log, when it wrote any. */
    message: ({ sessionUuid, reason, log }: { sessionUuid: string; reason: string; log?: string }) =>
      `session ${sessionUuid}: cannot create its network namespace: ${reason}${log ? ` (${log})` : ''}`,
    hint: () => 'check `unshare --net --mount true` on this host, or set BERTH_LOCAL_ISOLATION=host',
  }),
  BERTH_RUNTIME_FORWARDER_FAILED: defineError({
    status: 500,
    summary: "a session's namespace holder did not accept a port forward",
    /** `request`: the line sent on its control socket; `reason`: the holder's answer or the socket's error. */
    message: ({ sessionUuid, request, reason }: { sessionUuid: string; request: string; reason: string }) =>
      `session ${sessionUuid}: the namespace holder did not accept "${request}": ${reason}`,
    hint: () => "stop and start the session again; its holder log is in the session's .ns directory",
  }),
  BERTH_RUNTIME_DIALER_FAILED: defineError({
    status: 500,
    summary: "the dialer that connects into a session's network namespace cannot run",
    /** `reason`: the dialer's error. */
    message: ({ sessionUuid, port, reason }: { sessionUuid: string; port: number; reason: string }) =>
      `session ${sessionUuid}: cannot connect to port ${port} inside its network: ${reason}`,
    hint: () => 'check `nsenter --net` into the session works on this host, or set BERTH_LOCAL_ISOLATION=host',
  }),
  BERTH_RUNTIME_SPAWN_FAILED: defineError({
    status: 500,
    summary: "the local runtime cannot start a service's process wrapper",
    /** `file`: the wrapper (or nsenter); `reason`: the launcher's error. */
    message: ({ service, file, reason }: { service: string; file: string; reason: string }) => `service ${service}: cannot start ${file}: ${reason}`,
    hint: () => 'the local runtime needs /bin/bash or /bin/sh on the host',
  }),
  BERTH_RUNTIME_STATE_WRITE: defineError({
    status: 500,
    summary: "the local runtime cannot record a started process in its state directory",
    message: ({ service, stateDir }: { service: string; stateDir: string }) => `service ${service}: cannot record the started process in ${stateDir}`,
    hint: () => 'check that the data directory is writable and not full',
  }),
} as const satisfies ErrorCatalogue;

export type RuntimeCode = keyof typeof RUNTIME_CODES;
