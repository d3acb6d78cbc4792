/**
 * The SDK for Node steps, with the Python SDK's rules (sdk/python/orchest): the services of the
 * session the step runs in and the step's parameters. Interactive sessions ask the Berth API
 * (BERTH_API_URL, BERTH_SESSION_TOKEN); job runs read the run's pipeline file (ORCHEST_PIPELINE_PATH).
 *
 * @example
 *   import { getService, getParams } from '<berth>/src/sdk/index.ts';
 *   const redis = await getService('redis');
 *   const [stepParams, pipelineParams] = await getParams();
 */
import { readFile } from 'node:fs/promises';
import { apiPath } from '../api/index.ts';
import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { SDK_CODES, type SdkCode } from './codes.ts';

/** Errors of the step SDK: BERTH_SDK_* codes of SDK_CODES (Python: Orchest's classes, same cases). */
export class SdkError extends BerthError<SdkCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof SDK_CODES>) {
    super(code, renderError(SDK_CODES[code], params), options);
  }
}

export interface SdkService {
  [field: string]: unknown;
  name: string;
  ports: number[];
  internal_hostname: string;
  /** Port -> `http://{host_name}:{port}/[pbp-]service-<name>-<sid>_<port>` (literal placeholders). */
  external_urls: Record<string, string>;
  /** Port -> `/[pbp-]service-<name>-<sid>_<port>`. */
  base_paths: Record<string, string>;
}

export interface SdkOptions {
  /** Defaults to process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

/** Orchest's get_service: the service's fields minus `scope`, plus hostname, URLs and base paths. */
export async function getService(name: string, options: SdkOptions = {}): Promise<SdkService> {
  const services = await getServices(options);
  const service = services[name];
  if (!service) {
    throw new SdkError('BERTH_SDK_SERVICE_NOT_FOUND', { service: name, services: Object.keys(services) });
  }
  return service;
}

export async function getServices(options: SdkOptions = {}): Promise<Record<string, SdkService>> {
  const env = options.env ?? process.env;
  const type = env.ORCHEST_SESSION_TYPE;
  if (type === 'noninteractive') {
    const pipeline = await readPipeline(env);
    const specs = (pipeline.services ?? {}) as Record<string, Json>;
    return Object.fromEntries(
      Object.entries(specs)
        .filter(([, spec]) => Array.isArray(spec.scope) && spec.scope.includes('noninteractive'))
        .map(([name, spec]) => [name, generateUrls(spec, env)]),
    );
  }
  if (type === 'interactive') {
    // Steps of an interactive run get the session's services in a file (see the Python SDK).
    const data = env.BERTH_SERVICES_FILE
      ? (JSON.parse(await readFile(env.BERTH_SERVICES_FILE, 'utf8')) as Json)
      : await requestJson(apiPath('getSession', { sid: sessionUuid(env) }), env, options.timeoutMs ?? 10_000);
    const specs = (data.user_services ?? {}) as Record<string, Json>;
    return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, fromApi(spec, env)]));
  }
  throw new SdkError('BERTH_SDK_NO_SESSION', type ? { sessionType: type } : { unset: 'ORCHEST_SESSION_TYPE' });
}

/** Orchest's get_params: [step parameters, pipeline parameters]. */
export async function getParams(options: SdkOptions = {}): Promise<[Record<string, unknown>, Record<string, unknown>]> {
  const env = options.env ?? process.env;
  const pipeline = await readPipeline(env);
  return [currentStep(pipeline, env).parameters ?? {}, (pipeline.parameters ?? {}) as Record<string, unknown>];
}

export async function getStepParam(name: string, fallback?: unknown, options: SdkOptions = {}): Promise<unknown> {
  const [step] = await getParams(options);
  return name in step ? step[name] : fallback;
}

export async function getPipelineParam(name: string, fallback?: unknown, options: SdkOptions = {}): Promise<unknown> {
  const env = options.env ?? process.env;
  const params = ((await readPipeline(env)).parameters ?? {}) as Record<string, unknown>;
  return name in params ? params[name] : fallback;
}

// --- helpers ----------------------------------------------------------------------------------

interface PipelineFile {
  parameters?: unknown;
  services?: unknown;
  steps?: Record<string, { parameters?: Record<string, unknown> }>;
}

async function readPipeline(env: NodeJS.ProcessEnv): Promise<PipelineFile> {
  const path = env.ORCHEST_PIPELINE_PATH;
  if (!path) throw new SdkError('BERTH_SDK_NO_SESSION', { unset: 'ORCHEST_PIPELINE_PATH' });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SdkError('BERTH_SDK_PIPELINE_NOT_FOUND', { path }, { cause });
  }
  try {
    return JSON.parse(text) as PipelineFile;
  } catch (cause) {
    throw new SdkError('BERTH_SDK_PIPELINE_INVALID', { path }, { cause });
  }
}

function currentStep(pipeline: PipelineFile, env: NodeJS.ProcessEnv): { parameters?: Record<string, unknown> } {
  const uuid = env.ORCHEST_STEP_UUID;
  if (!uuid) throw new SdkError('BERTH_SDK_STEP_UNKNOWN');
  const step = pipeline.steps?.[uuid];
  if (!step) throw new SdkError('BERTH_SDK_STEP_UNKNOWN', { stepUuid: uuid });
  return step;
}

function sessionUuid(env: NodeJS.ProcessEnv): string {
  const uuid = env.ORCHEST_SESSION_UUID;
  if (!uuid) throw new SdkError('BERTH_SDK_NO_SESSION', { unset: 'ORCHEST_SESSION_UUID' });
  return uuid;
}

/** The same computation as the server's sdkServiceView, for job runs (which read their pipeline file). */
function generateUrls(spec: Json, env: NodeJS.ProcessEnv): SdkService {
  const sid = sessionUuid(env);
  const { scope: _scope, ...fields } = spec;
  const name = String(fields.name);
  const prefix = `${fields.preserve_base_path ? 'pbp-' : ''}service-${name}-${sid}`;
  const substituted = JSON.parse(JSON.stringify(fields).split('$BASE_PATH_PREFIX').join(prefix)) as Json;
  const ports = Array.isArray(substituted.ports) ? (substituted.ports as number[]) : [];
  const external_urls: Record<string, string> = {};
  const base_paths: Record<string, string> = {};
  for (const port of ports) {
    base_paths[String(port)] = `/${prefix}_${port}`;
    external_urls[String(port)] = `http://{host_name}:{port}/${prefix}_${port}`;
  }
  // Local processes listen on the host's loopback; containers find each other by name.
  const internal_hostname = env.BERTH_RUNTIME === 'local' && env.BERTH_LOCAL_ISOLATION !== 'namespace' ? '127.0.0.1' : `${name}-${sid}`;
  return { ...substituted, name, ports, internal_hostname, external_urls, base_paths };
}

function fromApi(spec: Json, env: NodeJS.ProcessEnv): SdkService {
  if (typeof spec.internal_hostname !== 'string') return generateUrls(spec, env);
  const { scope: _scope, ...fields } = spec;
  return fields as SdkService;
}

async function requestJson(path: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Json> {
  const base = env.BERTH_API_URL;
  if (!base) throw new SdkError('BERTH_SDK_NO_API');
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (env.BERTH_SESSION_TOKEN) headers.authorization = `Bearer ${env.BERTH_SESSION_TOKEN}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new SdkError('BERTH_SDK_UNREACHABLE', { url }, { cause });
  }
  const text = await response.text();
  let body: Json;
  try {
    body = text ? (JSON.parse(text) as Json) : {};
  } catch {
    body = {};
  }
  if (response.ok) return body;
  const serverMessage = ((body.error ?? {}) as { message?: string }).message;
  const { status } = response;
  if (status === 404) throw new SdkError('BERTH_SDK_SESSION_NOT_FOUND', { url, serverMessage });
  if (status === 401 || status === 403) throw new SdkError('BERTH_SDK_FORBIDDEN', { url, status, serverMessage });
  throw new SdkError('BERTH_SDK_HTTP', { url, status, serverMessage });
}
