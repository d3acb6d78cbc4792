/**
 * Test fixtures for src/plan (not exported from index.ts): Orchest's four service templates
 * (orchest-compatibility.md: Templates, k8s era) in one pipeline, and a pipeline using Berth's extensions. Fixed uuids and directories, so plans are reproducible.
 */
import { getServiceTemplate } from '../spec/index.ts';
import type { PipelineSpec, ServiceSpec } from '../spec/types.ts';
import type { SessionContext } from './types.ts';

/** With PIPELINE_UUID below this gives the example session uuid of docs/orchest-compatibility.md, "Internal host names" */
export const PROJECT_UUID = '766907b5-cb1e-4e6f-9a0b-1c2d3e4f5a6b';
export const PIPELINE_UUID = '8c1a2b3c-1234-4abc-9def-0123456789ab';
export const INTERACTIVE_SID = '766907b5-cb1e-4e6f8c1a2b3c-1234-4abc';
export const RUN_UUID = 'd2b8e1f4-6a3c-4e7d-b5f9-0c1a2e3d4f56';

export function context(overrides: Partial<SessionContext> = {}): SessionContext {
  return {
    installationId: 'golden-install',
    projectUuid: PROJECT_UUID,
    pipelineUuid: PIPELINE_UUID,
    pipelinePath: 'services.orchest',
    sessionType: 'interactive',
    projectDir: '/home/user/projects/services',
    dataDir: '/home/user/.berth/data',
    userEnv: {},
    ...overrides,
  };
}

function pipeline(uuid: string, name: string, services: Record<string, ServiceSpec>): PipelineSpec {
  return { uuid, name, version: '1.2.3', steps: {}, parameters: {}, settings: { auto_eviction: false, data_passing_memory_size: '1GB' }, services };
}

/**
 * The k8s-era templates exactly as Orchest's dialog created them, `order` as the dialog assigns it.
 * Taken from src/spec's templates, which templates.test.ts pins field by field to the reference.
 */
export function templatesPipeline(): PipelineSpec {
  const ids = ['tensorboard', 'streamlit', 'vscode', 'redis'] as const;
  return pipeline(
    PIPELINE_UUID,
    'services',
    Object.fromEntries(ids.map((id, i) => [id, { ...structuredClone(getServiceTemplate(id).config), order: i + 1 } as ServiceSpec])),
  );
}

export const EXTENSIONS_PIPELINE_UUID = 'a4c3b2d1-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const ENVIRONMENT_UUID = '9d4a5f3e-2c1b-4e8a-b6f7-0a1c2d3e4f50';

/** Berth's extensions (readiness, depends_on), inheritance and an environment image. */
export function extensionsPipeline(): PipelineSpec {
  return pipeline(EXTENSIONS_PIPELINE_UUID, 'extensions', {
    db: {
      name: 'db',
      image: 'postgres:16',
      scope: ['interactive', 'noninteractive'],
      env_variables: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'not-a-secret' },
      env_variables_inherit: ['DB_PASSWORD', 'NOT_DEFINED'],
      ports: [5432],
      exposed: false,
      order: 1,
      readiness: { type: 'command', command: ['pg_isready', '-U', 'app'], timeout_seconds: 30 },
    },
    app: {
      name: 'app',
      image: `environment@${ENVIRONMENT_UUID}`,
      scope: ['interactive', 'noninteractive'],
      command: 'python',
      args: '-m app --root "$BASE_PATH_PREFIX_8000" --name "my \\"api\\""',
      env_variables: { ORCHEST_SESSION_UUID: 'shadow-attempt', API_ROOT: '$BASE_PATH_PREFIX_8000' },
      binds: { '/project-dir': '/project-dir' },
      ports: [8000, 9100],
      exposed: true,
      requires_authentication: false,
      preserve_base_path: true,
      order: 2,
      readiness: { type: 'http' },
      depends_on: ['db'],
    },
    worker: {
      name: 'worker',
      image: 'python:3.12-slim',
      scope: ['noninteractive'],
      command: 'python3',
      args: '-u /project-dir/worker.py',
      ports: [9000],
      exposed: false,
      order: 3,
      readiness: { type: 'log', pattern: 'worker ready' },
      depends_on: ['app'],
    },
  });
}
