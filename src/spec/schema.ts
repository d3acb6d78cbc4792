/**
 * The one schema of a pipeline file (Orchest 1.2.3 + Berth's `readiness` and `depends_on`). Validation
 * (validate.ts) and the published JSON Schema (json-schema.ts) both come from here, so they cannot drift.
 *
 * Error strings are diagnostic codes, not prose: validate.ts turns each into a message and a hint that
 * name the field path, so every message lives in one catalogue (messages.ts).
 */
import type { z as Zod } from 'zod';
import { normaliseBindTarget, SHELL_STARTUP_ENV_NAMES } from './limits.ts';
import type { PipelineSpec, ReadinessSpec, ServiceSpec, StepSpec } from './types.ts';

/** Orchest's rule: a k8s object name `<name>-<36-char session uuid>` must fit in 63 characters. */
export const SERVICE_NAME_PATTERN = /^[a-z][0-9a-z-]{0,25}$/;
export const ENV_VAR_NAME_PATTERN = /^[0-9a-zA-Z\-_]+$/;
/**
 * What the Kubernetes API server accepts as an env name (apimachinery's IsEnvVarName): no leading
 * digit. Orchest's own pattern above allowed one, and its cluster then refused the pod with 422.
 */
export const KUBERNETES_ENV_VAR_NAME_PATTERN = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
export const ENVIRONMENT_PREFIX = 'environment@';
export const ENVIRONMENT_IMAGE_PATTERN = /^environment@[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Names that collide with Orchest's own per-session objects (`<name>-<session uuid>`) or with Berth's
 * routes and processes.
 */
export const RESERVED_SERVICE_NAMES: readonly string[] = [
  'jupyter-server',
  'jupyter-eg',
  'session-sidecar',
  'environment-shell',
  'berth',
  'api',
  'login',
];

/** Builds the schemas with the zod module given: see specSchemas. */
function buildSchemas(z: typeof Zod) {
  const portSchema = z
    .number({ error: 'BERTH_SPEC_PORT_TYPE' })
    .int({ error: 'BERTH_SPEC_PORT_TYPE' })
    .min(1, { error: 'BERTH_SPEC_PORT_RANGE' })
    .max(65535, { error: 'BERTH_SPEC_PORT_RANGE' });

  const timeoutSchema = z.number().positive({ error: 'BERTH_SPEC_READINESS_TIMEOUT' }).optional();

  const readinessSchema = z.discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('port'), ports: z.array(portSchema).min(1).optional(), timeout_seconds: timeoutSchema }),
      z.strictObject({
        type: z.literal('http'),
        port: portSchema.optional(),
        path: z.string().regex(/^\//, { error: 'BERTH_SPEC_READINESS_PATH' }).optional(),
        status: z
          .array(z.number().int().min(100, { error: 'BERTH_SPEC_READINESS_STATUS' }).max(599, { error: 'BERTH_SPEC_READINESS_STATUS' }))
          .min(1)
          .optional(),
        timeout_seconds: timeoutSchema,
      }),
      z.strictObject({ type: z.literal('log'), pattern: z.string().min(1, { error: 'BERTH_SPEC_READINESS_PATTERN' }), timeout_seconds: timeoutSchema }),
      z.strictObject({
        type: z.literal('command'),
        command: z.array(z.string()).min(1, { error: 'BERTH_SPEC_READINESS_COMMAND' }),
        timeout_seconds: timeoutSchema,
      }),
      z.strictObject({ type: z.literal('none'), timeout_seconds: timeoutSchema }),
    ],
    { error: 'BERTH_SPEC_READINESS_TYPE' },
  );

  const bindTargetSchema = z
    .string()
    .regex(/^\//, { error: 'BERTH_SPEC_BIND_TARGET' })
    .refine((target) => normaliseBindTarget(target) !== undefined, { error: 'BERTH_SPEC_BIND_TARGET_DOTS' });

  /** An env name the service may set: the pattern Orchest allows, minus what the host wrapper's shell reads. */
  const envNameSchema = z
    .string()
    .regex(ENV_VAR_NAME_PATTERN, { error: 'BERTH_SPEC_ENV_NAME' })
    .refine((name) => !SHELL_STARTUP_ENV_NAMES.includes(name), { error: 'BERTH_SPEC_ENV_RESERVED' });

  const serviceSchema = z.looseObject({
    name: z
      .string()
      .regex(SERVICE_NAME_PATTERN, { error: 'BERTH_SPEC_NAME_INVALID' })
      .regex(/[^-]$/, { error: 'BERTH_SPEC_NAME_TRAILING_DASH' })
      .refine((name) => !RESERVED_SERVICE_NAMES.includes(name), { error: 'BERTH_SPEC_NAME_RESERVED' })
      .meta({ description: 'Service name, equal to its key in "services": a lowercase letter, then up to 25 lowercase letters, digits or dashes, not ending in "-".' }),
    image: z
      .string()
      .min(1, { error: 'BERTH_SPEC_IMAGE_EMPTY' })
      .refine((image) => !image.startsWith(ENVIRONMENT_PREFIX) || ENVIRONMENT_IMAGE_PATTERN.test(image), {
        error: 'BERTH_SPEC_IMAGE_ENVIRONMENT',
      })
      .meta({ description: 'Image reference (e.g. "redis:7"), or "environment@<uuid>" for an environment of the project.' }),
    scope: z
      .array(z.enum(['interactive', 'noninteractive'], { error: 'BERTH_SPEC_SCOPE_INVALID' }))
      .min(1, { error: 'BERTH_SPEC_SCOPE_EMPTY' })
      .meta({ description: 'Which sessions start the service: "interactive" (sessions), "noninteractive" (job runs).' }),
    command: z.string().meta({ description: 'Replaces the image entrypoint: ONE executable, never split. Put its arguments in "args".' }).optional(),
    args: z.string().meta({ description: 'Replaces the image CMD; split like a POSIX shell.' }).optional(),
    env_variables: z
      .record(envNameSchema, z.string({ error: 'BERTH_SPEC_ENV_VALUE' }))
      .meta({ description: 'Versioned with the pipeline file: never put secrets here, use env_variables_inherit.' })
      .optional(),
    env_variables_inherit: z
      .array(envNameSchema)
      .meta({ description: 'Names copied from the project and pipeline (or job) environment variables; they override env_variables.' })
      .optional(),
    binds: z
      .strictObject({ '/data': bindTargetSchema.optional(), '/project-dir': bindTargetSchema.optional() })
      .meta({ description: 'Mount the data directory and/or the project directory at these absolute paths in the service.' })
      .optional(),
    ports: z.array(portSchema).min(1, { error: 'BERTH_SPEC_PORTS_EMPTY' }).meta({ description: 'Ports the service listens on.' }),
    exposed: z.boolean().meta({ description: 'Reachable from the browser through the Berth proxy.' }),
    requires_authentication: z.boolean().meta({ description: 'When exposed, only logged-in users get through. Default true.' }).optional(),
    preserve_base_path: z.boolean().meta({ description: 'Pass the /pbp-service-… prefix on to the service instead of stripping it. Default false.' }).optional(),
    order: z.number().int().meta({ description: 'Row order in the UI, unique per pipeline (not a start order).' }),
    readiness: readinessSchema.meta({ description: 'Berth extension: when the service counts as ready. Default: every port accepts TCP connections.' }).optional(),
    depends_on: z.array(z.string()).meta({ description: 'Berth extension: services of this pipeline that must be ready before this one starts.' }).optional(),
  });

  const stepSchema = z.looseObject({
    uuid: z.string(),
    title: z.string(),
    file_path: z.string(),
    incoming_connections: z.array(z.string()),
    environment: z.string(),
    parameters: z.record(z.string(), z.unknown()),
    kernel: z.looseObject({ name: z.string().optional(), display_name: z.string().optional() }).optional(),
    meta_data: z
      .looseObject({ position: z.tuple([z.number(), z.number()]).optional(), hidden: z.boolean().optional() })
      .optional(),
  });

  const pipelineSchema = z.looseObject({
    uuid: z.string(),
    name: z.string(),
    version: z.string(),
    steps: z.record(z.string(), stepSchema),
    parameters: z.record(z.string(), z.unknown()).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    services: z.record(z.string(), serviceSchema).optional(),
  });

  return { z, readiness: readinessSchema, service: serviceSchema, step: stepSchema, pipeline: pipelineSchema };
}

export type SpecSchemas = ReturnType<typeof buildSchemas>;
let provided: typeof Zod | undefined;
let built: SpecSchemas | undefined;

/** The browser bundle hands zod over (web/src/lib/validate.ts): it has no synchronous require. */
export function provideZod(z: typeof Zod): void {
  provided = z;
}

/**
 * The schemas, built on first use. zod takes about 4 MB of an idle `berth serve`'s memory
 * (bench/cli), and a server that has read no pipeline file since it started does not need it, so
 * in Node it is loaded then (its CommonJS build, synchronously) rather than when Berth starts.
 */
export function specSchemas(): SpecSchemas {
  built ??= buildSchemas(provided ?? requireZod());
  return built;
}

function requireZod(): typeof Zod {
  const nodeModule = globalThis.process?.getBuiltinModule?.('node:module');
  if (!nodeModule) throw new Error('spec: call provideZod(z) before validating outside Node');
  return (nodeModule.createRequire(import.meta.url)('zod') as { z: typeof Zod }).z;
}

// Compile-time guarantee that what the schema accepts is what types.ts promises to other layers.
type Assignable<A, B> = A extends B ? true : false;
const readinessMatches: Assignable<Zod.infer<SpecSchemas['readiness']>, ReadinessSpec> = true;
const serviceMatches: Assignable<Zod.infer<SpecSchemas['service']>, ServiceSpec> = true;
const stepMatches: Assignable<Zod.infer<SpecSchemas['step']>, StepSpec> = true;
const pipelineMatches: Assignable<Zod.infer<SpecSchemas['pipeline']>, PipelineSpec> = true;
export const SCHEMA_MATCHES_TYPES = readinessMatches && serviceMatches && stepMatches && pipelineMatches;
