/**
 * Pipeline files for the editor: read one (file text + migrated spec + diagnostics), write one
 * back (only if it did not change on disk since it was read), validate a draft with the same
 * schema and messages as `berth validate`, and list the service templates.
 *
 * The client sends back the exact text it read as `expectedContent`; the spec layer refuses the
 * write with BERTH_SPEC_CHANGED_ON_DISK (409) when the file differs, so an edit made in an editor
 * or by git meanwhile is never overwritten silently.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SERVICE_TEMPLATES, validatePipeline, writePipelineFile, type PipelineSpec } from '../../spec/index.ts';
import { sessionUuidFor } from '../../plan/index.ts';
import { hostProgramProblem } from '../../runtime/index.ts';
import type { Projects, PipelineRef } from '../projects.ts';
import type { ProjectRecord } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import * as schemas from './schemas.ts';
import type { PipelineParams, SavePipelineBody, ValidateBody } from './schemas.ts';

export function registerPipelineRoutes(app: FastifyInstance, deps: { projects: Projects; runtimeKind?: string }): void {
  const { projects } = deps;

  app.get<{ Params: PipelineParams }>('/api/projects/:project/pipelines/:pipeline', { schema: schemas.getPipeline }, async (request) => {
    const params = request.params;
    const project = projects.get(params.project);
    const found = await projects.find(project, params.pipeline);
    return pipelineBody(project, found, await readText(project, found), deps.runtimeKind);
  });

  app.put<{ Params: PipelineParams; Body: SavePipelineBody }>('/api/projects/:project/pipelines/:pipeline', { schema: schemas.savePipeline }, async (request) => {
    const params = request.params;
    const body = request.body;
    if (!isObject(body.spec) || typeof body.expectedContent !== 'string') {
      throw new ApiError('BERTH_API_BAD_REQUEST', { needs: 'spec-and-content' });
    }
    const project = projects.get(params.project);
    const found = await projects.find(project, params.pipeline);
    const file = join(project.path, found.path);
    await writePipelineFile(file, body.spec as PipelineSpec, { expectedContent: body.expectedContent });
    const reread = await projects.find(project, found.path);
    return pipelineBody(project, reread, await readText(project, reread), deps.runtimeKind);
  });

  /**
   * Validation of a draft for clients that do not bundle the validator (scripts, editors). The web UI
   * bundles the same validator and checks as the user types without a round trip.
   */
  app.post<{ Body: ValidateBody }>('/api/validate', { schema: schemas.validateDraft }, async (request) => {
    const body = request.body;
    if (body.spec === undefined) throw new ApiError('BERTH_API_BAD_REQUEST', { needs: 'spec' });
    const file = typeof body.file === 'string' && body.file ? body.file : 'pipeline.orchest';
    return { diagnostics: validatePipeline(body.spec, file, { runtime: deps.runtimeKind }) };
  });

  /**
   * On the local runtime a template runs a host program: `unavailable` says which ones would fail
   * at start (program not installed, or an image with no host program), so the picker warns first.
   */
  app.get('/api/templates', { schema: schemas.listTemplates }, async () => ({
    runtime: deps.runtimeKind ?? null,
    templates: SERVICE_TEMPLATES.map((t) => ({
      id: t.id,
      label: t.label,
      description: t.description,
      fromOrchest: t.fromOrchest,
      service: t.config,
      unavailable: deps.runtimeKind === 'local' ? hostProgramProblem(t.config) : null,
    })),
  }));
}


async function readText(project: ProjectRecord, found: PipelineRef): Promise<string> {
  return readFile(join(project.path, found.path), 'utf8');
}

/** `runtime`: what `diagnostics` were checked for; the editor validates drafts for it too. */
function pipelineBody(project: ProjectRecord, found: PipelineRef, content: string, runtime: string | undefined) {
  const spec = found.loaded.spec ?? null;
  return {
    project: { uuid: project.uuid, name: project.name, path: project.path },
    path: found.path,
    content,
    spec,
    sourceVersion: found.loaded.sourceVersion,
    migrated: found.loaded.migrated,
    valid: !found.loaded.diagnostics.some((d) => d.severity === 'error'),
    diagnostics: found.loaded.diagnostics,
    runtime: runtime ?? null,
    // The interactive session's uuid is known before it starts: the UI shows each service's future URLs.
    sessionUuid: spec ? safeSessionUuid(project.uuid, spec.uuid) : null,
  };
}

function safeSessionUuid(projectUuid: string, pipelineUuid: string): string | null {
  try {
    return sessionUuidFor({ sessionType: 'interactive', projectUuid, pipelineUuid });
  } catch {
    return null; // a uuid that makes no valid host name: the diagnostics already say so
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
